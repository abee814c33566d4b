//! Agglomerative clustering of speaker embeddings on cosine similarity, with
//! the within-window constraint (two local speakers of one segmentation
//! window are never one cluster), bounded by the number of speakers when it
//! is known. Memory stays linear in the call's length: embeddings are first
//! gathered into tight micro-clusters in one pass, and only those are
//! merged pairwise.

use std::collections::HashMap;

/// One embedding to cluster.
#[derive(Debug, Clone)]
pub struct Item {
    /// The embedding, L2-normalised.
    pub vector: Vec<f32>,
    /// How much speech it stands for (seconds): its weight in a centroid.
    pub weight: f32,
    /// The segmentation window it came from.
    pub window: usize,
    /// Its local speaker in that window.
    pub local: u8,
}

/// How clustering stops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterConfig {
    /// Two clusters merge while their centroids' cosine is at least this.
    pub threshold: f32,
    /// An embedding joins a micro-cluster when its cosine to the
    /// micro-cluster's centroid is at least this (tighter than `threshold`).
    pub leader: f32,
    /// Fewest speakers (merging stops there).
    pub min_speakers: usize,
    /// Most speakers (merging goes on past the threshold down to this).
    pub max_speakers: Option<usize>,
    /// A cluster with less speech than this (seconds) is a back-channel or
    /// a stray: it joins its nearest cluster instead of being a speaker.
    pub min_speech_s: f32,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            threshold: 0.45,
            leader: 0.8,
            min_speakers: 1,
            max_speakers: None,
            min_speech_s: 4.0,
        }
    }
}

/// What clustering found.
#[derive(Debug, Clone, PartialEq)]
pub struct Clusters {
    /// Per item, its cluster.
    pub labels: Vec<usize>,
    /// Per cluster, its normalised weighted centroid.
    pub centroids: Vec<Vec<f32>>,
    /// Per cluster, the speech it stands for (seconds).
    pub speech: Vec<f32>,
}

/// Cosine of two normalised vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Scales `v` to unit length (a zero vector stays zero).
pub fn normalise(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

/// A growing cluster: its weighted sum, weight, and the window → local
/// speaker pairs it holds (for the constraint).
#[derive(Debug, Clone)]
struct Group {
    sum: Vec<f32>,
    centroid: Vec<f32>,
    weight: f32,
    windows: HashMap<usize, u8>,
    members: Vec<usize>,
}

impl Group {
    fn new(i: usize, item: &Item) -> Self {
        let mut g = Self {
            sum: vec![0.0; item.vector.len()],
            centroid: Vec::new(),
            weight: 0.0,
            windows: HashMap::new(),
            members: Vec::new(),
        };
        g.add(i, item);
        g
    }
    fn add(&mut self, i: usize, item: &Item) {
        for (s, v) in self.sum.iter_mut().zip(&item.vector) {
            *s += v * item.weight;
        }
        self.weight += item.weight;
        self.windows.insert(item.window, item.local);
        self.members.push(i);
        self.refresh();
    }
    fn refresh(&mut self) {
        self.centroid = self.sum.clone();
        normalise(&mut self.centroid);
    }
    /// Whether some window has one local speaker here and another there.
    fn conflicts(&self, other: &Group) -> bool {
        let (small, big) = if self.windows.len() <= other.windows.len() {
            (self, other)
        } else {
            (other, self)
        };
        small
            .windows
            .iter()
            .any(|(w, l)| big.windows.get(w).is_some_and(|m| m != l))
    }
    fn conflicts_item(&self, item: &Item) -> bool {
        self.windows
            .get(&item.window)
            .is_some_and(|&l| l != item.local)
    }
    fn absorb(&mut self, other: Group) {
        for (s, v) in self.sum.iter_mut().zip(&other.sum) {
            *s += v;
        }
        self.weight += other.weight;
        self.windows.extend(other.windows);
        self.members.extend(other.members);
        self.refresh();
    }
}

/// Clusters `items` (see the module doc).
pub fn cluster(items: &[Item], config: &ClusterConfig) -> Clusters {
    // One pass into micro-clusters.
    let mut groups: Vec<Group> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let best = groups
            .iter()
            .enumerate()
            .filter(|(_, g)| !g.conflicts_item(item))
            .map(|(j, g)| (j, cosine(&g.centroid, &item.vector)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((j, s)) if s >= config.leader => groups[j].add(i, item),
            _ => groups.push(Group::new(i, item)),
        }
    }
    let max = config.max_speakers.unwrap_or(usize::MAX).max(1);
    let min = config.min_speakers.max(1);
    // Merge the most similar allowed pair until the threshold (or the
    // bounds) say stop.
    loop {
        if groups.len() <= min {
            break;
        }
        let mut best: Option<(usize, usize, f32)> = None;
        for a in 0..groups.len() {
            for b in a + 1..groups.len() {
                if groups[a].conflicts(&groups[b]) {
                    continue;
                }
                let s = cosine(&groups[a].centroid, &groups[b].centroid);
                if best.is_none_or(|(_, _, t)| s > t) {
                    best = Some((a, b, s));
                }
            }
        }
        let Some((a, b, s)) = best else { break };
        if s < config.threshold && groups.len() <= max {
            break;
        }
        let g = groups.swap_remove(b);
        groups[a].absorb(g);
    }
    // Strays join their nearest real speaker.
    loop {
        if groups.len() <= min {
            break;
        }
        let Some((small, _)) = groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.weight < config.min_speech_s)
            .min_by(|a, b| a.1.weight.total_cmp(&b.1.weight))
        else {
            break;
        };
        let target = groups
            .iter()
            .enumerate()
            .filter(|(j, g)| *j != small && !g.conflicts(&groups[small]))
            .map(|(j, g)| (j, cosine(&g.centroid, &groups[small].centroid)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let Some((t, _)) = target else { break };
        let g = groups.swap_remove(small);
        let t = if t == groups.len() { small } else { t };
        groups[t].absorb(g);
    }
    // Stable order: by first member.
    groups.sort_by_key(|g| g.members.iter().copied().min().unwrap_or(0));
    let mut labels = vec![0usize; items.len()];
    for (c, g) in groups.iter().enumerate() {
        for &m in &g.members {
            labels[m] = c;
        }
    }
    Clusters {
        labels,
        centroids: groups.iter().map(|g| g.centroid.clone()).collect(),
        speech: groups.iter().map(|g| g.weight).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A unit vector near axis `axis` of 8 dimensions, jittered.
    fn near(axis: usize, jitter: f32, seed: u32) -> Vec<f32> {
        let mut v: Vec<f32> = (0..8)
            .map(|d| {
                let h = (seed.wrapping_mul(2_654_435_761).wrapping_add(d as u32 * 97)) % 1000;
                (h as f32 / 1000.0 - 0.5) * jitter
            })
            .collect();
        v[axis] += 1.0;
        normalise(&mut v);
        v
    }

    fn items(axes: &[usize]) -> Vec<Item> {
        axes.iter()
            .enumerate()
            .map(|(i, &a)| Item {
                vector: near(a, 0.6, i as u32),
                weight: 1.5,
                window: i,
                local: 0,
            })
            .collect()
    }

    #[test]
    fn three_voices_make_three_clusters() {
        let axes = [0, 1, 0, 2, 1, 0, 2, 2, 1, 0];
        let c = cluster(&items(&axes), &ClusterConfig::default());
        assert_eq!(c.centroids.len(), 3);
        for (i, &a) in axes.iter().enumerate() {
            for (j, &b) in axes.iter().enumerate() {
                assert_eq!(a == b, c.labels[i] == c.labels[j], "{i} {j}");
            }
        }
    }

    #[test]
    fn the_speaker_bounds_hold() {
        let axes = [0, 1, 0, 2, 1, 0, 2, 2, 1, 0];
        let two = ClusterConfig {
            max_speakers: Some(2),
            ..ClusterConfig::default()
        };
        assert_eq!(cluster(&items(&axes), &two).centroids.len(), 2);
        let four = ClusterConfig {
            min_speakers: 4,
            threshold: -1.0,
            ..ClusterConfig::default()
        };
        assert_eq!(cluster(&items(&axes), &four).centroids.len(), 4);
    }

    #[test]
    fn two_local_speakers_of_one_window_stay_apart() {
        let mut it = items(&[0, 0, 0, 0]);
        // Window 0 has two local speakers with near-identical voices.
        it[1].window = 0;
        it[1].local = 1;
        let c = cluster(&it, &ClusterConfig::default());
        assert_ne!(c.labels[0], c.labels[1]);
    }

    #[test]
    fn a_stray_joins_the_nearest_speaker() {
        let mut it = items(&[0, 0, 0, 1, 1, 1, 2]);
        it[6].weight = 1.0;
        let c = cluster(&it, &ClusterConfig::default());
        assert_eq!(c.centroids.len(), 2);
        assert!(cluster(&[], &ClusterConfig::default()).labels.is_empty());
    }
}
