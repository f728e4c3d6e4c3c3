using System.Buffers;
using BenchmarkDotNet.Attributes;
using Tether.Protocol;

namespace Tether.Benchmarks;

/// <summary>
/// Encoding one frame into a reused <see cref="ArrayBufferWriter{T}"/>: the work a sender does under the connection's
/// send lock for every message. Must allocate nothing.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("Protocol")]
public class FrameEncodeBenchmarks
{
    private const DataFlags SeqAck = DataFlags.Sequence | DataFlags.Ack;

    private readonly ArrayBufferWriter<byte> _writer = new(4096);
    private readonly byte[] _payload64 = Payloads.Create(64);
    private readonly byte[] _payload1K = Payloads.Create(1024);
    private ulong _sequence;

    [Benchmark(Description = "WriteData 64 B")]
    public int WriteData_64B()
    {
        _writer.ResetWrittenCount();
        FrameWriter.WriteData(_writer, _payload64);
        return _writer.WrittenCount;
    }

    [Benchmark(Description = "WriteData 1 KiB")]
    public int WriteData_1KiB()
    {
        _writer.ResetWrittenCount();
        FrameWriter.WriteData(_writer, _payload1K);
        return _writer.WrittenCount;
    }

    [Benchmark(Description = "WriteData 64 B SEQ|ACK")]
    public int WriteData_SeqAck_64B()
    {
        _writer.ResetWrittenCount();
        var sequence = ++_sequence;
        FrameWriter.WriteData(_writer, _payload64, SeqAck, sequence, sequence - 1);
        return _writer.WrittenCount;
    }

    [Benchmark(Description = "WriteData 1 KiB SEQ|ACK")]
    public int WriteData_SeqAck_1KiB()
    {
        _writer.ResetWrittenCount();
        var sequence = ++_sequence;
        FrameWriter.WriteData(_writer, _payload1K, SeqAck, sequence, sequence - 1);
        return _writer.WrittenCount;
    }

    [Benchmark(Description = "WritePing")]
    public int WritePing()
    {
        _writer.ResetWrittenCount();
        FrameWriter.WritePing(_writer, ++_sequence);
        return _writer.WrittenCount;
    }
}
