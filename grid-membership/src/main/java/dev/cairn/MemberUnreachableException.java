package dev.cairn;

/** The member a request was for is not in the current view, or left before it answered. */
public class MemberUnreachableException extends GridException {
    private static final long serialVersionUID = 1L;

    public MemberUnreachableException(String message) {
        super(message);
    }

    public MemberUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
