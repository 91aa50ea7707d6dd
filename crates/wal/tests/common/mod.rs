//! Test support: an in-memory disk that executes `Batch`es the way the IO layer does, so the
//! sans-IO core can be exercised (and crashed) without files.
#![allow(dead_code)]

use std::collections::BTreeMap;

use smartchat_wal::format::BLOCK;
use smartchat_wal::rkyv::util::AlignedVec;
use smartchat_wal::{scan_log, Batch, Durable, RecoveryReport, SegmentEnd, SegmentId, Wal};

/// A record as recovered (owned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rec {
    pub lsn: u64,
    pub kind: u8,
    pub payload: Vec<u8>,
}

/// Segment files in memory (16-aligned so rkyv access works in place).
#[derive(Debug, Clone)]
pub struct MemDisk {
    pub shard: u32,
    pub files: BTreeMap<SegmentId, AlignedVec<16>>,
}

impl MemDisk {
    pub fn new(shard: u32) -> Self {
        MemDisk {
            shard,
            files: BTreeMap::new(),
        }
    }

    fn place<T>(&mut self, batch: &Batch<T>) -> &mut AlignedVec<16> {
        if batch.new_segment {
            let mut file = AlignedVec::<16>::new();
            file.resize(batch.segment_size as usize, 0);
            self.files.insert(batch.segment, file);
        }
        self.files
            .get_mut(&batch.segment)
            .expect("batch for a known segment")
    }

    /// Writes the whole batch and declares it durable.
    pub fn write<T>(&mut self, batch: Batch<T>) -> Durable<T> {
        let offset = batch.offset as usize;
        let file = self.place(&batch);
        file.as_mut_slice()[offset..offset + batch.bytes.len()].copy_from_slice(&batch.bytes);
        batch.into_durable()
    }

    /// A crash mid-write: only the blocks for which `keep(block index)` is true land.
    pub fn write_torn<T>(&mut self, batch: &Batch<T>, keep: impl Fn(usize) -> bool) {
        let offset = batch.offset as usize;
        let file = self.place(batch);
        for (i, chunk) in batch.bytes.chunks(BLOCK).enumerate() {
            if keep(i) {
                let at = offset + i * BLOCK;
                file.as_mut_slice()[at..at + chunk.len()].copy_from_slice(chunk);
            }
        }
    }

    pub fn remove(&mut self, ids: &[SegmentId]) {
        for id in ids {
            self.files.remove(id);
        }
    }

    pub fn scan(&self) -> (RecoveryReport, Vec<Rec>) {
        let parts: Vec<(SegmentId, &[u8])> = self
            .files
            .iter()
            .map(|(id, f)| (*id, f.as_slice()))
            .collect();
        let report = scan_log(&parts, self.shard);
        let records = smartchat_wal::log_records(&parts, &report)
            .map(|r| Rec {
                lsn: r.lsn,
                kind: r.kind,
                payload: r.payload.to_vec(),
            })
            .collect();
        (report, records)
    }

    /// What `WalWriter::open` does to the tail before writing again.
    pub fn repair(&mut self, report: &RecoveryReport) {
        let Some(last) = report.segments.last() else {
            return;
        };
        match (last.header, last.end) {
            (None, _) => {
                self.files.remove(&last.id);
            }
            (Some(h), SegmentEnd::Torn(_)) => {
                let file = self.files.get_mut(&last.id).expect("tail file");
                let keep = (last.valid_end as usize).min(file.len());
                let mut fresh = AlignedVec::<16>::new();
                fresh.extend_from_slice(&file.as_slice()[..keep]);
                fresh.resize(h.segment_size as usize, 0);
                *file = fresh;
            }
            (Some(_), SegmentEnd::Clean) => {}
        }
    }
}

/// Writes every batch the WAL has ready (closing the open one) and returns the released tokens.
pub fn flush_all<T>(wal: &mut Wal<T>, disk: &mut MemDisk, now_us: u64) -> Vec<T> {
    let mut tokens = Vec::new();
    while let Some(ready) = wal.flush(now_us) {
        let durable = disk.write(ready.write);
        tokens.extend(wal.on_durable(durable));
    }
    tokens
}

/// Payload for record `i`: distinctive, variable length.
pub fn payload(i: u64, len: usize) -> Vec<u8> {
    (0..len).map(|j| (i as usize * 31 + j * 7) as u8).collect()
}
