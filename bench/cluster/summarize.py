#!/usr/bin/env python3
"""Merges the JSON lines of a cluster benchmark run into its figures (one JSON line each).

usage: summarize.py <push|reliable|broadcast|kill> WORKDIR [key=value ...]
The key=value pairs (nodes, per_node, kill_ns, victim...) are copied into the figure.
"""
import base64
import glob
import json
import math
import sys


def events(path, name):
    out = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith('{'):
                    e = json.loads(line)
                    if e.get('event') == name:
                        out.append(e)
    except FileNotFoundError:
        pass
    return out


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def ms(micros):
    return None if micros is None else round(micros / 1000.0, 3)


def clients(work):
    results = {}
    for path in sorted(glob.glob(f'{work}/clients*.out')):
        for e in events(path, 'result'):
            results[e['home']] = e
    return results


def pusher(work):
    found = events(f'{work}/pusher.out', 'result')
    return found[-1] if found else {}


def latency(values, prefix=''):
    values = sorted(values)
    name = (lambda n: prefix + n[0].upper() + n[1:]) if prefix else (lambda n: n)
    return {name('p50Ms'): ms(percentile(values, 50)), name('p99Ms'): ms(percentile(values, 99)),
            name('p999Ms'): ms(percentile(values, 99.9)), name('maxMs'): ms(values[-1] if values else None)}


def ids(text):
    """An IdSet's base64 bitmap as an int whose bit i is id i."""
    return int.from_bytes(base64.b64decode(text or ''), 'little')


def delivery(push, results):
    received = 0
    for r in results:
        received |= ids(r.get('pushIds'))
    accepted, failed = ids(push.get('acceptedIds')), ids(push.get('failedIds'))
    # lost: accepted (SendToClientAsync returned true) but never arrived. A send that threw may or may not have
    # been delivered: those that arrived are counted apart.
    lost = accepted & ~received
    return {'sent': push.get('sent'), 'accepted': push.get('accepted'), 'refused': push.get('refused'),
            'failed': push.get('failed'), 'received': received.bit_count(),
            'lost': lost.bit_count(), **lost_to(lost, accepted, push, results),
            'failedButArrived': (failed & received).bit_count(),
            'duplicated': sum(r['pushDuplicates'] for r in results), 'errors': push.get('errors', {})}


def lost_to(lost, accepted, push, results):
    """Where the lost messages were going: to clients still not connected at the end (the message may wait in their
    session), or to clients connected at the end, with or without a disconnect during the run: a message lost
    there is missing from a session that is back."""
    targets = push.get('acceptedTargets')
    if not lost or not targets:
        return {}
    ids = [i for i in range(accepted.bit_length()) if accepted >> i & 1]
    by_id = dict(zip(ids, targets))
    away = {c for r in results for c in r.get('notConnectedAtEndIds', [])}
    bounced = {c for r in results for c in r.get('disconnectedIds', [])}
    lost_targets = [by_id.get(i) for i in range(lost.bit_length()) if lost >> i & 1]
    return {'lostToClientsNotConnectedAtEnd': sum(t in away for t in lost_targets),
            'lostToClientsBackAfterADisconnect': sum(t not in away and t in bounced for t in lost_targets),
            'lostToClientsNeverDisconnected': sum(t not in away and t not in bounced for t in lost_targets)}


def main():
    kind, work = sys.argv[1], sys.argv[2]
    extra = dict(arg.split('=', 1) for arg in sys.argv[3:])
    extra = {k: int(v) if v.lstrip('-').isdigit() else v for k, v in extra.items()}
    results = clients(work)
    push = pusher(work)
    figure = {'figure': f'cluster-{kind}', **{k: v for k, v in extra.items() if k != 'kill_ns'}}
    figure['connected'] = sum(r['connected'] for r in results.values())
    if kind == 'push':
        figure.update(rate=push.get('rate'), seconds=push.get('seconds'), behind=push.get('behind'))
        figure.update(delivery(push, results.values()))
        figure.update(latency([v for r in results.values() for v in r['pushMicros']]))
        figure.update({'callP50Ms': push.get('callP50Ms'), 'callP99Ms': push.get('callP99Ms'), 'callMaxMs': push.get('callMaxMs')})
    elif kind == 'reliable':
        figure.update({k: push.get(k) for k in ('concurrency', 'targets', 'seconds', 'acceptedPerSecond', 'idleCommandsPerSecond',
                                                'commands', 'commandsPerMessage', 'callsPerMessage', 'callP50Ms', 'callP99Ms')})
        figure.update(delivery(push, results.values()))
        figure.update(latency([v for r in results.values() for v in r['pushMicros']], 'delivery'))
    elif kind == 'broadcast':
        values = [v for r in results.values() for v in r['broadcastMicros']]
        figure.update(callMs=push.get('callMs'), received=len(values), missing=figure['connected'] - len(values))
        figure.update(latency(values))
        figure['allReceivedMs'] = figure['maxMs'] if figure['missing'] == 0 else None
    elif kind == 'kill':
        victim = results.get(extra['victim'], {})
        kill_ns = extra['kill_ns']
        freq = victim.get('frequency', 1_000_000_000)
        to_ms = lambda t: (t - kill_ns) * 1000.0 / freq
        resumed = sorted(to_ms(t) for t in victim.get('resumedAt', []) if t)
        lost = [t for t in victim.get('lostAt', []) if t]
        # The victim's sessions: its clients that lost their connection at the kill (a client that had connected
        # elsewhere at the start, its home node being slow to answer, is not one of them).
        holding = victim.get('disconnected', 0)
        figure.update(victimClients=victim.get('connected'), victimSessions=holding, resumed=len(resumed),
                      sessionLost=len(lost), notBack=holding - len(resumed) - len(lost))
        for p in (50, 99, 100):
            need = math.ceil(p / 100.0 * holding)
            figure[f'resumed{p}PctMs'] = round(resumed[need - 1], 1) if need and len(resumed) >= need else None
        stream = delivery(push, [victim] if victim else [])
        figure.update({'stream' + k[0].upper() + k[1:]: v for k, v in stream.items()})
        figure.update(streamGaps=victim.get('streamGaps'), streamRepeated=victim.get('streamRepeated'),
                      streamReordered=victim.get('streamReordered'),
                      streamRetries=push.get('retries'))
    print(json.dumps(figure))


if __name__ == '__main__':
    main()
