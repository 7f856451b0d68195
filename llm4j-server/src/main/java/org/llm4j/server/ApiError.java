// An error answered in OpenAI's JSON shape: {"error": {"message", "type", "param", "code"}} with its HTTP status.
package org.llm4j.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Thrown anywhere on a request's path; the server turns it into the response. */
public final class ApiError extends RuntimeException {
    final int status;
    final String type, param, code;
    final int retryAfterSeconds;   // > 0: sent as Retry-After (429)

    ApiError(int status, String type, String message, String param, String code, int retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400 invalid_request_error naming the field at fault (may be null). */
    static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", message, param, null, 0);
    }

    static ApiError invalid(String param, String message, String code) {
        return new ApiError(400, "invalid_request_error", message, param, code, 0);
    }

    static ApiError unauthorized() {
        return new ApiError(401, "invalid_request_error", "Incorrect or missing API key: send the header 'Authorization: Bearer <key>'.", null, "invalid_api_key", 0);
    }

    static ApiError notFound(String message, String code) {
        return new ApiError(404, "invalid_request_error", message, null, code, 0);
    }

    static ApiError tooLarge(long limit) {
        return new ApiError(413, "invalid_request_error", "The request body is larger than the limit of " + limit + " bytes.", null, "request_too_large", 0);
    }

    static ApiError busy(int retryAfterSeconds) {
        return new ApiError(429, "rate_limit_error", "The server is busy: the request queue is full. Retry after " + retryAfterSeconds + " s.", null, "queue_full", retryAfterSeconds);
    }

    static ApiError timeout(String message) {
        return new ApiError(504, "server_error", message, null, "timeout", 0);
    }

    static ApiError internal(String message) {
        return new ApiError(500, "server_error", message, null, null, 0);
    }

    ObjectNode toJson() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        ObjectNode e = root.putObject("error");
        e.put("message", getMessage());
        e.put("type", type);
        e.put("param", param);
        e.put("code", code);
        return root;
    }
}
