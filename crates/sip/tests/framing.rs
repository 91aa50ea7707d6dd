//! Stream framing (RFC 3261 §18.3): several messages per buffer, a message
//! split at every byte offset, leading CRLF keep-alives, and the size bound
//! enforced before the whole message is buffered.

mod common;

use common::load;
use smartchat_sip::{
    frame_stream, parse_datagram, Frame, SipError, StreamFramer, DEFAULT_MAX_MESSAGE_SIZE,
};

const MAX: usize = DEFAULT_MAX_MESSAGE_SIZE;

fn two_messages() -> (Vec<u8>, usize, usize) {
    let a = load("sipp/message.sip");
    let b = load("sipp/publish.sip");
    let mut buf = a.clone();
    buf.extend_from_slice(&b);
    (buf, a.len(), b.len())
}

#[test]
fn two_messages_in_one_buffer() {
    let (mut buf, la, lb) = two_messages();
    let f1 = frame_stream(&buf, MAX).unwrap().unwrap();
    assert_eq!(f1, Frame { skip: 0, len: la });
    let m1 = parse_datagram(&buf[..f1.consumed()]).unwrap();
    assert_eq!(m1.method().map(|m| m.as_str()), Some("MESSAGE"));
    buf.drain(..f1.consumed());
    let f2 = frame_stream(&buf, MAX).unwrap().unwrap();
    assert_eq!(f2, Frame { skip: 0, len: lb });
    assert_eq!(
        parse_datagram(&buf[..f2.consumed()])
            .unwrap()
            .method()
            .map(|m| m.as_str()),
        Some("PUBLISH")
    );
    buf.drain(..f2.consumed());
    assert_eq!(frame_stream(&buf, MAX), Ok(None));
}

#[test]
fn split_at_every_byte_offset() {
    let (buf, la, _) = two_messages();
    for k in 0..=buf.len() {
        let got = frame_stream(&buf[..k], MAX).unwrap();
        if k < la {
            assert_eq!(got, None, "prefix of {k} bytes must wait for more");
        } else {
            assert_eq!(got, Some(Frame { skip: 0, len: la }), "prefix of {k} bytes");
        }
    }
}

#[test]
fn incremental_framer_matches_one_shot_for_every_chunk_size() {
    let mut stream = b"\r\n\r\n".to_vec();
    let (two, la, lb) = two_messages();
    stream.extend_from_slice(&two);
    stream.extend_from_slice(b"\r\n");
    for chunk in [1, 2, 3, 5, 7, 64, 333, 4096] {
        let mut framer = StreamFramer::new(MAX);
        let mut buf = Vec::new();
        let mut frames = Vec::new();
        for piece in stream.chunks(chunk) {
            buf.extend_from_slice(piece);
            while let Some(f) = framer.next_frame(&buf).unwrap() {
                if !f.is_keepalive() {
                    let framed = buf[f.skip..f.consumed()].to_vec();
                    frames.push((f, framed));
                }
                buf.drain(..f.consumed());
            }
        }
        let lens: Vec<_> = frames.iter().map(|(f, _)| f.len).collect();
        assert_eq!(lens, [la, lb], "chunk size {chunk}");
        let originals = [&two[..la], &two[la..]];
        for ((_, framed), original) in frames.iter().zip(originals) {
            assert_eq!(framed.as_slice(), original, "chunk size {chunk}");
            assert_eq!(
                parse_datagram(framed).unwrap(),
                parse_datagram(original).unwrap()
            );
        }
        assert!(
            buf.is_empty() || buf.iter().all(|b| *b == b'\r' || *b == b'\n'),
            "chunk {chunk}"
        );
    }
}

#[test]
fn leading_crlf_keepalives() {
    let msg = load("sipp/subscribe.sip");
    let mut buf = b"\r\n\r\n\r\n".to_vec();
    buf.extend_from_slice(&msg);
    assert_eq!(
        frame_stream(&buf, MAX),
        Ok(Some(Frame {
            skip: 6,
            len: msg.len()
        }))
    );
    let ping = frame_stream(b"\r\n\r\n", MAX).unwrap().unwrap();
    assert!(ping.is_keepalive());
    assert_eq!(ping.consumed(), 4);
    assert_eq!(frame_stream(b"", MAX), Ok(None));
    assert_eq!(frame_stream(b"\r\n\r\nSUB", MAX), Ok(None));
}

#[test]
fn oversize_headers_rejected_at_the_bound_not_after() {
    let max = 1024;
    let mut buf = b"MESSAGE sip:a@b SIP/2.0\r\n".to_vec();
    while buf.len() < max - 1 {
        buf.extend_from_slice(b"X-Pad: y\r\n");
    }
    buf.truncate(max - 1);
    assert_eq!(frame_stream(&buf, max), Ok(None), "still under the bound");
    buf.push(b'z');
    assert_eq!(
        frame_stream(&buf, max),
        Err(SipError::TooLarge { size: max, max })
    );
    let mut framer = StreamFramer::new(max);
    assert_eq!(framer.next_frame(&buf[..max - 1]), Ok(None));
    assert_eq!(
        framer.next_frame(&buf),
        Err(SipError::TooLarge { size: max, max })
    );
}

#[test]
fn oversize_content_length_rejected_before_the_body_arrives() {
    let head = b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 70000\r\n\r\n";
    let r = frame_stream(head, MAX);
    assert_eq!(
        r,
        Err(SipError::TooLarge {
            size: 70000,
            max: MAX
        })
    );
    let head = b"MESSAGE sip:a@b SIP/2.0\r\nl: 65500\r\n\r\n";
    assert!(
        matches!(
            frame_stream(head, MAX),
            Err(SipError::TooLarge { max: MAX, .. })
        ),
        "head + body > max"
    );
}

#[test]
fn content_length_errors() {
    let missing = b"MESSAGE sip:a@b SIP/2.0\r\nTo: <sip:a@b>\r\n\r\nhello";
    assert_eq!(
        frame_stream(missing, MAX),
        Err(SipError::MissingContentLength)
    );
    let bad = b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: five\r\n\r\n";
    assert_eq!(frame_stream(bad, MAX), Err(SipError::BadContentLength));
    let huge = b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 99999999999999999999999\r\n\r\n";
    assert_eq!(frame_stream(huge, MAX), Err(SipError::BadContentLength));
    let bare_lf = b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 0\nX: y\r\n\r\n";
    assert_eq!(frame_stream(bare_lf, MAX), Err(SipError::BadLineEnding));
}

#[test]
fn framer_and_parser_agree_on_folded_and_compact_content_length() {
    let msg = b"MESSAGE sip:a@b SIP/2.0\r\nCONTENT-length :\r\n  5\r\n\r\nhelloEXTRA";
    let f = frame_stream(msg, MAX).unwrap().unwrap();
    assert_eq!(&msg[..f.len], &msg[..msg.len() - 5]);
    let m = parse_datagram(&msg[..f.len]).unwrap();
    assert_eq!(m.body, b"hello");
    let compact = b"MESSAGE sip:a@b SIP/2.0\r\nL: 2\r\n\r\nhi";
    assert_eq!(
        frame_stream(compact, MAX).unwrap().unwrap().len,
        compact.len()
    );
}
