//! Bounds on what a script hands the host. Two stages: wasmtime's hostcall
//! fuel caps the bytes of each crossing (an action's result, a log line, a
//! capability's arguments) *before* anything is copied, and a crossing over
//! it ends the call as [`Oversized`](super::CallError::Oversized); then the
//! texts the host keeps of a refusal or failure are cut, with a mark, to a
//! few hundred bytes.

/// The default cap on one crossing from a script to the host (1 MiB).
pub const DEFAULT_TRANSFER_BYTES: usize = 1 << 20;

/// What the host keeps of an error or refusal message.
pub const MAX_MESSAGE_BYTES: usize = 1024;

/// What the host keeps of a validation code or a user-id hint.
pub const MAX_CODE_BYTES: usize = 256;

/// `text` cut to at most `max` bytes (on a character boundary), the cut
/// marked and counted.
pub(crate) fn cut(mut text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut keep = max;
    while !text.is_char_boundary(keep) {
        keep -= 1;
    }
    let dropped = text.len() - keep;
    text.truncate(keep);
    text.push_str(&format!("… [cut by authbox: {dropped} more bytes]"));
    text
}

pub(crate) fn cut_message(text: String) -> String {
    cut(text, MAX_MESSAGE_BYTES)
}

pub(crate) fn cut_code(text: String) -> String {
    cut(text, MAX_CODE_BYTES)
}

/// Whether wasmtime refused a crossing for its hostcall fuel. Its error
/// type is private, so this reads its message (pinned by a test, so that an
/// upgrade that rewords it is noticed).
pub(crate) fn is_transfer_cap(error: &wasmtime::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.to_string().contains("fuel allocated for hostcalls"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_are_kept_whole() {
        assert_eq!(cut("wrong password".into(), 64), "wrong password");
    }

    #[test]
    fn long_texts_are_cut_on_a_char_boundary_and_marked() {
        let text = "é".repeat(100); // 200 bytes
        let cut = cut(text, 11);
        assert!(cut.starts_with(&"é".repeat(5)));
        assert!(cut.ends_with("… [cut by authbox: 190 more bytes]"), "{cut}");
    }
}
