package dev.cairn.membership;

import java.util.concurrent.CompletionStage;

/**
 * Answers requests of one type sent with {@link Membership#request}. An exception thrown or returned is sent back to
 * the caller as a {@link dev.cairn.GridException} naming this member and the error.
 */
@FunctionalInterface
public interface RequestHandler {
    /**
     * @param from    the member that sent the request
     * @param payload the request bytes, owned by the handler
     * @return the reply bytes, possibly completed later
     */
    CompletionStage<byte[]> handle(Member from, byte[] payload);
}
