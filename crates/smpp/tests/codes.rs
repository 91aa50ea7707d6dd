//! command_status (§5.1.3) and command_id (§5.1.2.1) tables.

use smartchat_smpp::{CommandId, CommandStatus, MessageState, UnknownCommandId};

#[test]
fn every_named_status_round_trips_through_its_code() {
    assert_eq!(CommandStatus::ALL_NAMED.len(), 48);
    for &status in CommandStatus::ALL_NAMED {
        let code: u32 = status.into();
        assert_eq!(CommandStatus::from(code), status);
        let name = status.spec_name().expect("named");
        assert!(name.starts_with("ESME_R"), "{name}");
    }
}

#[test]
fn status_codes_match_the_spec_table() {
    for (status, code) in [
        (CommandStatus::Ok, 0x00),
        (CommandStatus::InvMsgLen, 0x01),
        (CommandStatus::InvCmdLen, 0x02),
        (CommandStatus::InvCmdId, 0x03),
        (CommandStatus::InvBndSts, 0x04),
        (CommandStatus::AlyBnd, 0x05),
        (CommandStatus::SysErr, 0x08),
        (CommandStatus::BindFail, 0x0D),
        (CommandStatus::MsgQFul, 0x14),
        (CommandStatus::Throttled, 0x58),
        (CommandStatus::RxTAppn, 0x64),
        (CommandStatus::InvOptParStream, 0xC0),
        (CommandStatus::DeliveryFailure, 0xFE),
        (CommandStatus::UnknownErr, 0xFF),
    ] {
        assert_eq!(status.code(), code, "{status}");
    }
}

#[test]
fn unnamed_codes_are_preserved() {
    for code in [0x09, 0x10, 0x12, 0x16, 0x100, 0x400, 0x4FF, 0xFFFF_FFFF] {
        assert_eq!(CommandStatus::from(code), CommandStatus::Other(code));
        assert_eq!(u32::from(CommandStatus::Other(code)), code);
    }
}

#[test]
fn only_back_pressure_and_transient_failures_are_temporary() {
    let temporary: Vec<CommandStatus> = CommandStatus::ALL_NAMED
        .iter()
        .copied()
        .filter(|s| s.is_temporary())
        .collect();
    assert_eq!(
        temporary,
        [
            CommandStatus::SysErr,
            CommandStatus::MsgQFul,
            CommandStatus::Throttled,
            CommandStatus::RxTAppn
        ]
    );
    assert!(!CommandStatus::Other(0x400).is_temporary());
}

#[test]
fn every_command_id_round_trips_and_pairs_with_its_response() {
    assert_eq!(CommandId::ALL.len(), 27);
    for &id in CommandId::ALL {
        assert_eq!(CommandId::try_from(id.code()), Ok(id));
        if let Some(resp) = id.response() {
            assert!(!id.is_response());
            assert!(resp.is_response());
            assert_eq!(resp.code(), id.code() | 0x8000_0000);
            assert_eq!(resp.spec_name(), format!("{}_resp", id.spec_name()));
        }
    }
    assert_eq!(CommandId::Outbind.response(), None);
    assert_eq!(CommandId::AlertNotification.response(), None);
    assert_eq!(CommandId::GenericNack.response(), None);
    assert_eq!(CommandId::try_from(0x0A), Err(UnknownCommandId(0x0A)));
}

#[test]
fn message_states_round_trip() {
    for code in 0..=u8::MAX {
        let state = MessageState::from(code);
        assert_eq!(u8::from(state), code);
        assert_eq!(
            matches!(state, MessageState::Other(_)),
            !(1..=8).contains(&code)
        );
    }
    assert!(MessageState::Delivered.is_final());
    assert!(!MessageState::Enroute.is_final());
}
