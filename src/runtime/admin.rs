//! The shard side of the admin API: each shard drains its own bounded admin ring.
//!
//! Why a ring per shard rather than the SIP mesh: the HTTP server runs on its own thread (a
//! tokio runtime, see [`super::http`]), outside the glommio mesh, and a subscriber's state may
//! only be touched by the shard that owns it. The HTTP thread puts a job on the owner's
//! crossbeam ring (`try_send`: a full ring is answered 503, never waited on) and awaits a
//! oneshot reply; the shard runs the job between its other tasks, makes its store records
//! durable, then replies — so an admin answer, like a SIP answer, leaves only after persist.

use super::shard::ShardRuntime;
use crate::service::admin::ShardSnapshot;
use crate::service::io::{AdminOp, AdminReply, Outputs};
use futures_channel::oneshot;
use smartchat_core::Subscriber;
use std::rc::Rc;
use std::time::Duration;

/// Jobs one shard's admin ring holds before the HTTP thread gets 503.
pub(crate) const ADMIN_RING: usize = 64;
/// Subscribers in one bulk-upsert job (one store append + fdatasync each).
pub(crate) const UPSERT_CHUNK: usize = 1024;
/// How often an idle shard looks at its admin ring. Admin latency, not data-path latency.
const POLL: Duration = Duration::from_millis(5);
/// Jobs run per wake-up before yielding to the shard's other tasks.
const JOBS_PER_WAKE: usize = 16;

/// What the HTTP thread asks of a shard.
#[derive(Debug)]
pub(crate) enum Work {
    Op(AdminOp),
    /// Add or replace each (all owned by this shard), one durable append for the lot.
    UpsertMany(Vec<Subscriber>),
    Snapshot,
}

/// The shard's answer.
#[derive(Debug)]
pub(crate) enum JobReply {
    Op(AdminReply),
    /// Subscribers stored, or why not.
    Upserted(Result<usize, String>),
    Snapshot(Box<ShardSnapshot>),
}

/// One job and where its answer goes.
#[derive(Debug)]
pub(crate) struct AdminJob {
    pub work: Work,
    pub reply: oneshot::Sender<JobReply>,
}

pub(crate) type AdminRx = crossbeam::channel::Receiver<AdminJob>;
pub(crate) type AdminTx = crossbeam::channel::Sender<AdminJob>;

/// The shard's admin task: drains its ring forever (cancelled at shutdown).
pub(crate) async fn serve_jobs(rt: Rc<ShardRuntime>, rx: AdminRx) {
    loop {
        let mut ran = 0;
        while ran < JOBS_PER_WAKE {
            let Ok(job) = rx.try_recv() else { break };
            let answer = run(&rt, job.work).await;
            // The HTTP side may have timed out and gone: nothing to do then.
            let _ = job.reply.send(answer);
            ran += 1;
        }
        if ran < JOBS_PER_WAKE {
            glommio::timer::sleep(POLL).await;
        } else {
            glommio::yield_if_needed().await;
        }
    }
}

async fn run(rt: &Rc<ShardRuntime>, work: Work) -> JobReply {
    match work {
        Work::Snapshot => JobReply::Snapshot(Box::new(rt.service.borrow().snapshot())),
        Work::Op(op) => {
            let (reply, out) = rt.service.borrow_mut().admin(op, rt.now_ms());
            match persist_then_execute(rt, out).await {
                Ok(()) => JobReply::Op(reply),
                Err(why) => JobReply::Op(AdminReply::Failed(why)),
            }
        }
        Work::UpsertMany(subscribers) => {
            let mut all = Outputs::default();
            let count = subscribers.len();
            for sub in subscribers {
                let (reply, out) = rt
                    .service
                    .borrow_mut()
                    .admin(AdminOp::Upsert(Box::new(sub)), rt.now_ms());
                all.merge(out);
                if let AdminReply::Failed(why) = reply {
                    // Those applied so far are still made durable below.
                    let stored = persist_then_execute(rt, all).await;
                    return JobReply::Upserted(Err(stored.err().unwrap_or(why)));
                }
            }
            JobReply::Upserted(persist_then_execute(rt, all).await.map(|()| count))
        }
    }
}

/// Makes the store records durable once, then releases the rest of the outputs.
async fn persist_then_execute(rt: &Rc<ShardRuntime>, mut out: Outputs) -> Result<(), String> {
    let stored = rt.persist(&out);
    out.persist.clear();
    rt.execute(out).await;
    stored
}
