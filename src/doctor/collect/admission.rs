//! Admission: the mutating webhooks that intercept pod creation and one dry-run canary per
//! namespace that runs or declares sidecar workloads (the diff-pod engine).

use crate::context::Context;
use crate::doctor::facts::DoctorFacts;

pub async fn collect(ctx: &Context, facts: &mut DoctorFacts) {
    let _ = (ctx, facts);
}
