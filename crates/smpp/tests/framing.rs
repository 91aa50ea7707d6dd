//! Stream framing (§3.2 command_length): partial PDUs at every split, absurd lengths rejected
//! from the first 4 octets, and no allocation on those paths (checked with a counting
//! allocator installed for this test binary only).

mod common;

use common::{cstr, pdu_bytes, submit_sm_body, tlv};
use smartchat_smpp::{
    decode, frame_len, CommandId, Pdu, SmppError, DEFAULT_MAX_PDU_LEN, TAG_MESSAGE_STATE,
    TAG_RECEIPTED_MESSAGE_ID,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts allocations made by the current thread (tests run on parallel threads).
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Runs `f` and returns its result with the number of allocations it made on this thread.
fn allocations_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATIONS.with(Cell::get);
    let result = f();
    (result, ALLOCATIONS.with(Cell::get) - before)
}

/// A few PDUs of different shapes, back to back, as a TCP stream would carry them.
fn sample_stream() -> Vec<Vec<u8>> {
    let receipt_tlvs = [
        tlv(TAG_RECEIPTED_MESSAGE_ID, &cstr("00000001")),
        tlv(TAG_MESSAGE_STATE, &[2]),
    ]
    .concat();
    vec![
        pdu_bytes(CommandId::EnquireLink.code(), 0, 1, &[]),
        pdu_bytes(
            CommandId::SubmitSm.code(),
            0,
            2,
            &submit_sm_body(b"hello", &[]),
        ),
        pdu_bytes(CommandId::SubmitSmResp.code(), 0, 2, &cstr("abc-123")),
        pdu_bytes(
            CommandId::DeliverSm.code(),
            0,
            3,
            &submit_sm_body(b"id:00000001 stat:DELIVRD", &receipt_tlvs),
        ),
        pdu_bytes(CommandId::Unbind.code(), 0, 4, &[]),
    ]
}

#[test]
fn a_pdu_split_at_every_offset_needs_more_until_complete() {
    for pdu in sample_stream() {
        for cut in 0..pdu.len() {
            assert_eq!(
                frame_len(&pdu[..cut], DEFAULT_MAX_PDU_LEN),
                Ok(None),
                "cut at {cut} of {}",
                pdu.len()
            );
        }
        assert_eq!(frame_len(&pdu, DEFAULT_MAX_PDU_LEN), Ok(Some(pdu.len())));
    }
}

#[test]
fn a_stream_fed_in_chunks_of_every_size_yields_the_same_pdus() {
    let pdus = sample_stream();
    let stream = pdus.concat();
    let expected: Vec<Pdu<'_>> = pdus.iter().map(|p| decode(p).expect("sample")).collect();
    for chunk in 1..=stream.len() {
        let mut buffered: Vec<u8> = Vec::new();
        let mut frames: Vec<Vec<u8>> = Vec::new();
        for piece in stream.chunks(chunk) {
            buffered.extend_from_slice(piece);
            while let Some(len) = frame_len(&buffered, DEFAULT_MAX_PDU_LEN).expect("valid") {
                frames.push(buffered.drain(..len).collect());
            }
        }
        assert!(
            buffered.is_empty(),
            "chunk {chunk}: {} octets left over",
            buffered.len()
        );
        let decoded: Vec<Pdu<'_>> = frames.iter().map(|f| decode(f).expect("frame")).collect();
        assert_eq!(decoded, expected, "chunk size {chunk}");
    }
}

#[test]
fn frame_len_reports_only_the_first_pdu_of_a_stream() {
    let pdus = sample_stream();
    let stream = pdus.concat();
    assert_eq!(
        frame_len(&stream, DEFAULT_MAX_PDU_LEN),
        Ok(Some(pdus[0].len()))
    );
}

#[test]
fn absurd_command_lengths_fail_from_four_octets_without_allocating() {
    for len in [0u32, 1, 15, 1 << 31, u32::MAX, DEFAULT_MAX_PDU_LEN + 1] {
        let prefix = len.to_be_bytes();
        let (result, allocations) = allocations_during(|| frame_len(&prefix, DEFAULT_MAX_PDU_LEN));
        assert_eq!(
            result,
            Err(SmppError::BadCommandLength { len }),
            "len {len}"
        );
        assert_eq!(allocations, 0, "len {len}");
        assert!(result.expect_err("bad").desynchronises_stream());
    }
}

#[test]
fn decode_rejects_short_command_lengths_and_huge_ones_without_allocating() {
    for len in [0u32, 15] {
        let header = pdu_bytes(CommandId::EnquireLink.code(), 0, 9, &[]);
        let mut forged = header.clone();
        forged[..4].copy_from_slice(&len.to_be_bytes());
        let (result, allocations) = allocations_during(|| decode(&forged).map(|_| ()));
        assert_eq!(result, Err(SmppError::BadCommandLength { len }));
        assert_eq!(allocations, 0);
    }
    let mut huge = pdu_bytes(CommandId::SubmitSm.code(), 0, 9, &[]);
    huge[..4].copy_from_slice(&(1u32 << 31).to_be_bytes());
    let (result, allocations) = allocations_during(|| decode(&huge).map(|_| ()));
    assert_eq!(
        result,
        Err(SmppError::Incomplete {
            needed: 1 << 31,
            available: 16
        })
    );
    assert_eq!(allocations, 0);
}

#[test]
fn the_maximum_is_configurable_and_inclusive() {
    let pdu = pdu_bytes(
        CommandId::SubmitSm.code(),
        0,
        1,
        &submit_sm_body(b"0123456789", &[]),
    );
    let len = u32::try_from(pdu.len()).expect("small");
    assert_eq!(frame_len(&pdu, len), Ok(Some(pdu.len())));
    assert_eq!(
        frame_len(&pdu, len - 1),
        Err(SmppError::BadCommandLength { len })
    );
}

#[test]
fn decoding_a_pdu_without_unknown_tlvs_does_not_allocate() {
    for pdu in sample_stream() {
        let (result, allocations) = allocations_during(|| decode(&pdu).map(|p| p.command_id()));
        assert!(result.is_ok());
        assert_eq!(allocations, 0, "{:?}", result);
    }
}

#[test]
fn decode_wants_exactly_one_pdu() {
    let pdus = sample_stream();
    let first = &pdus[1];
    let mut with_extra = first.clone();
    with_extra.push(0);
    assert_eq!(
        decode(&with_extra).map(|_| ()),
        Err(SmppError::LengthMismatch {
            command_length: u32::try_from(first.len()).expect("small"),
            available: first.len() + 1
        })
    );
    assert_eq!(
        decode(&first[..first.len() - 1]).map(|_| ()),
        Err(SmppError::Incomplete {
            needed: first.len(),
            available: first.len() - 1
        })
    );
    assert_eq!(
        decode(&first[..10]).map(|_| ()),
        Err(SmppError::Incomplete {
            needed: 16,
            available: 10
        })
    );
}
