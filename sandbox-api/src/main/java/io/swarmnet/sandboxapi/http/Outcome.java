package io.swarmnet.sandboxapi.http;

/** What the API makes of a request: a complete response, or a watch to stream. */
public sealed interface Outcome permits ApiResponse, WatchPlan {
}
