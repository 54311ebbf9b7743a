//! A least-recently-used cache bounded in bytes, that says how full it is.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::memory::MemoryGauges;

/// Keeps values up to `limit_bytes` in total, evicting the least recently used first. A value larger than
/// the whole limit is not kept at all. The current size is published to the page-cache gauge.
pub struct ByteLru<K, V> {
    entries: HashMap<K, (V, usize, u64)>,
    order: BTreeMap<u64, K>,
    tick: u64,
    bytes: usize,
    limit_bytes: usize,
    evictions: u64,
    gauges: Option<Arc<MemoryGauges>>,
}

impl<K: Hash + Eq + Clone, V: Clone> ByteLru<K, V> {
    pub fn new(limit_bytes: usize) -> Self {
        ByteLru {
            entries: HashMap::new(),
            order: BTreeMap::new(),
            tick: 0,
            bytes: 0,
            limit_bytes,
            evictions: 0,
            gauges: None,
        }
    }

    /// Publishes this cache's size and limit as the page cache in memory attribution.
    pub fn reporting_to(mut self, gauges: Arc<MemoryGauges>) -> Self {
        self.gauges = Some(gauges);
        self.publish();
        self
    }

    pub fn get(&mut self, key: &K) -> Option<V> {
        self.tick += 1;
        let tick = self.tick;
        let (value, _, last) = self.entries.get_mut(key)?;
        self.order.remove(last);
        *last = tick;
        self.order.insert(tick, key.clone());
        Some(value.clone())
    }

    pub fn insert(&mut self, key: K, value: V, bytes: usize) {
        self.remove(&key);
        if bytes > self.limit_bytes {
            return;
        }
        while self.bytes + bytes > self.limit_bytes {
            let Some((_, oldest)) = self.order.pop_first() else { break };
            if let Some((_, size, _)) = self.entries.remove(&oldest) {
                self.bytes -= size;
                self.evictions += 1;
            }
        }
        self.tick += 1;
        self.order.insert(self.tick, key.clone());
        self.entries.insert(key, (value, bytes, self.tick));
        self.bytes += bytes;
        self.publish();
    }

    pub fn remove(&mut self, key: &K) {
        if let Some((_, size, last)) = self.entries.remove(key) {
            self.order.remove(&last);
            self.bytes -= size;
            self.publish();
        }
    }

    /// Changes the bound, evicting at once if the cache is over it.
    pub fn set_limit(&mut self, limit_bytes: usize) {
        self.limit_bytes = limit_bytes;
        self.evict_to(limit_bytes);
    }

    /// Evicts least recently used entries until at most `bytes` remain; the bound stays as it is.
    pub fn evict_to(&mut self, bytes: usize) {
        while self.bytes > bytes {
            let Some((_, oldest)) = self.order.pop_first() else { break };
            if let Some((_, size, _)) = self.entries.remove(&oldest) {
                self.bytes -= size;
                self.evictions += 1;
            }
        }
        self.publish();
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn limit_bytes(&self) -> usize {
        self.limit_bytes
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    fn publish(&self) {
        if let Some(gauges) = &self.gauges {
            gauges.page_cache_bytes.store(self.bytes as u64, Ordering::Relaxed);
            gauges.page_cache_limit_bytes.store(self.limit_bytes as u64, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_within_its_byte_bound_evicting_least_recent_first() {
        let gauges = Arc::new(MemoryGauges::default());
        let mut cache = ByteLru::new(100).reporting_to(Arc::clone(&gauges));
        cache.insert("a", 1, 40);
        cache.insert("b", 2, 40);
        assert_eq!(cache.get(&"a"), Some(1)); // "b" is now least recent
        cache.insert("c", 3, 40);
        assert_eq!(cache.get(&"b"), None);
        assert_eq!(cache.get(&"a"), Some(1));
        assert_eq!(cache.bytes(), 80);
        assert_eq!(cache.evictions(), 1);
        assert_eq!(gauges.page_cache_bytes.load(Ordering::Relaxed), 80);
        assert_eq!(gauges.page_cache_limit_bytes.load(Ordering::Relaxed), 100);

        cache.insert("huge", 9, 101);
        assert_eq!(cache.get(&"huge"), None, "a value over the whole bound is not kept");
        cache.set_limit(50);
        assert!(cache.bytes() <= 50);
        assert_eq!(cache.len(), 1);
    }
}
