//! Raw-octet builders for hand-made (often deliberately broken) PDUs. They write the wire
//! format directly from SMPP 3.4 §3.2 / §4.4.1 so the tests do not depend on the encoder.
#![allow(dead_code)] // each test binary uses a different subset

/// A PDU with a correct command_length around `body`.
pub fn pdu_bytes(
    command_id: u32,
    command_status: u32,
    sequence_number: u32,
    body: &[u8],
) -> Vec<u8> {
    let command_length = u32::try_from(16 + body.len()).expect("test PDU fits u32");
    let mut out = Vec::with_capacity(16 + body.len());
    for word in [command_length, command_id, command_status, sequence_number] {
        out.extend_from_slice(&word.to_be_bytes());
    }
    out.extend_from_slice(body);
    out
}

/// A C-octet string: the text and its NUL.
pub fn cstr(text: &str) -> Vec<u8> {
    let mut out = text.as_bytes().to_vec();
    out.push(0);
    out
}

/// One TLV: tag, 16-bit length, value (§3.2.4).
pub fn tlv(tag: u16, value: &[u8]) -> Vec<u8> {
    let mut out = tag.to_be_bytes().to_vec();
    out.extend_from_slice(
        &u16::try_from(value.len())
            .expect("test TLV fits")
            .to_be_bytes(),
    );
    out.extend_from_slice(value);
    out
}

/// The §4.4.1 mandatory fields up to and including sm_length, with the given addresses and a
/// free sm_length (so tests can make it disagree with what follows).
pub fn submit_sm_head(source_addr: &str, destination_addr: &str, sm_length: u8) -> Vec<u8> {
    let mut body = cstr(""); // service_type
    body.extend_from_slice(&[1, 1]);
    body.extend(cstr(source_addr));
    body.extend_from_slice(&[1, 1]);
    body.extend(cstr(destination_addr));
    body.extend_from_slice(&[0, 0, 0]); // esm_class, protocol_id, priority_flag
    body.extend(cstr("")); // schedule_delivery_time
    body.extend(cstr("")); // validity_period
    body.extend_from_slice(&[0, 0, 0, 0]); // registered_delivery .. sm_default_msg_id
    body.push(sm_length);
    body
}

/// A complete submit_sm / deliver_sm body: head, short_message, then raw TLV octets.
pub fn submit_sm_body(short_message: &[u8], tlv_octets: &[u8]) -> Vec<u8> {
    let sm_length = u8::try_from(short_message.len()).expect("test short_message fits");
    let mut body = submit_sm_head("4915100000001", "4915100000002", sm_length);
    body.extend_from_slice(short_message);
    body.extend_from_slice(tlv_octets);
    body
}

/// A bind_* body (§4.1.1 layout).
pub fn bind_body(
    system_id: &str,
    password: &str,
    system_type: &str,
    address_range: &str,
) -> Vec<u8> {
    let mut body = cstr(system_id);
    body.extend(cstr(password));
    body.extend(cstr(system_type));
    body.extend_from_slice(&[0x34, 0, 0]);
    body.extend(cstr(address_range));
    body
}
