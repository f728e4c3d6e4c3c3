package dev.tether.client;

import java.util.List;

/**
 * A reliable session could not be resumed (section 10.7) or was not granted.
 *
 * @param sessionId          the lost session, 32 lowercase hex digits
 * @param reason             unknown, expired, overflow, gap (either side lacked frames) or not-granted
 * @param unacknowledgedSent how many messages the client had sent that the server never acknowledged
 * @param serverReportedLost how many server messages the server knows were lost, or null when unknown
 * @param description        what happened, for people
 * @param unacknowledged     the unacknowledged messages themselves, oldest first; they are not resent (D9)
 */
public record SessionLostInfo(String sessionId, String reason, int unacknowledgedSent, Long serverReportedLost,
        String description, List<byte[]> unacknowledged) {
}
