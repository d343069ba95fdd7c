package io.wssink.internal;

/**
 * Text that came from the peer (a close reason, an HTTP reason phrase, a malformed ack), made safe for one log line:
 * control characters (CR and LF forge log lines; ESC drives terminals) and invisible format characters (bidi
 * overrides reorder what an operator reads) become '?', and the length is capped.
 */
public final class PeerText {
    private PeerText() {
    }

    /** {@code text} with every unsafe character replaced, cut to {@code max} characters (with "..."). */
    public static String sanitize(String text, int max) {
        if (text == null) {
            return "";
        }
        String cut = text.length() <= max ? text : text.substring(0, Math.max(0, max - 3)) + "...";
        StringBuilder b = null;
        for (int i = 0; i < cut.length(); i++) {
            char c = cut.charAt(i);
            if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
                if (b == null) {
                    b = new StringBuilder(cut);
                }
                b.setCharAt(i, '?');
            }
        }
        return b == null ? cut : b.toString();
    }
}
