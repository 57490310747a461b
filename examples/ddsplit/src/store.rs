//! A tiny in-memory index with `Rc` handles and clones in loops.
use std::collections::HashMap;
use std::rc::Rc;

pub struct Store {
    pub names: Vec<Rc<String>>,
    pub by_tenant: HashMap<u32, Vec<String>>,
}

impl Store {
    pub fn new() -> Store {
        Store { names: Vec::new(), by_tenant: HashMap::new() }
    }

    /// Records a name for a tenant; clones the owned string for every tenant it is shared with.
    pub fn record(&mut self, tenant: u32, name: &str) -> usize {
        let shared = Rc::new(name.to_string());
        let mut total = 0;
        for t in 0..4u32 {
            let handle = shared.clone();
            self.names.push(handle);
            let owned = name.to_string();
            total += owned.len();
            self.by_tenant.entry(tenant + t).or_default().push(owned.clone());
        }
        total
    }
}
