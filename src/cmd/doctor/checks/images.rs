//! The image of the container each finding names, so that tables can fold the same container
//! and image on many objects into one row (`checks::group`). Looked up once, after every check,
//! rather than threaded through each one.

use std::collections::HashMap;

use super::Input;
use crate::checks::finding::{Finding, ObjectRef};
use crate::facts::workloads::PodSpecFacts;

pub fn attach(input: &Input<'_>, findings: &mut [Finding]) {
    let mut images: HashMap<ObjectRef, String> = HashMap::new();
    let mut add = |object: &ObjectRef, spec: &PodSpecFacts| {
        for c in spec.init_containers.iter().chain(&spec.containers) {
            if let Some(image) = c.image.as_deref() {
                images
                    .entry(object.clone().with_container(&c.name))
                    .or_insert_with(|| image.to_string());
            }
        }
    };
    // The declared template first; pods add what was injected at admission.
    for owner in input.owners.tops() {
        if let Some(t) = owner.template.as_ref() {
            let object = ObjectRef::new(&owner.kind, Some(&owner.namespace), &owner.name);
            add(&object, &t.spec);
        }
    }
    for pod in &input.facts.workloads.pods {
        add(&input.owners.top_object(pod), &pod.spec);
    }
    for f in findings.iter_mut() {
        if f.image.is_none() && f.object.container.is_some() {
            f.image = images.get(&f.object).cloned();
        }
    }
}
