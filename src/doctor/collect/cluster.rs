//! Control plane and nodes: the check-nodes engine's collection, stored whole in the doctor
//! snapshot.

use crate::context::Context;
use crate::doctor::facts::DoctorFacts;
use crate::error::Result;

pub async fn collect(ctx: &Context, facts: &mut DoctorFacts) -> Result<()> {
    let _ = (ctx, facts);
    Ok(())
}
