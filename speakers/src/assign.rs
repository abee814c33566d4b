//! Optimal one-to-one assignment (the Hungarian method), for mapping
//! hypothesis speakers to reference speakers when scoring and clusters to
//! roster names.

/// The rows-to-columns assignment that maximises the summed `score`
/// (`score[r][c]`, any finite values; rows may outnumber columns or the
/// reverse). Returns, per row, its column or `None` when there were fewer
/// columns than rows. O(n³) for n = max(rows, columns).
pub fn best_assignment(score: &[Vec<f64>]) -> Vec<Option<usize>> {
    let rows = score.len();
    let cols = score.iter().map(Vec::len).max().unwrap_or(0);
    let n = rows.max(cols);
    if n == 0 {
        return Vec::new();
    }
    let max = score
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    // Minimise cost = max - score on a square matrix padded with zeros' cost.
    let cost = |r: usize, c: usize| -> f64 {
        match score.get(r).and_then(|row| row.get(c)) {
            Some(v) if v.is_finite() => max - v,
            _ => max,
        }
    };
    // Jonker-Volgenant style potentials (1-based arrays as in the classic
    // formulation).
    let inf = f64::INFINITY;
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; n + 1];
    let mut p = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0usize;
        let mut minv = vec![inf; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = inf;
            let mut j1 = 0usize;
            for j in 1..=n {
                if !used[j] {
                    let cur = cost(i0 - 1, j - 1) - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut out = vec![None; rows];
    for (j, &r) in p.iter().enumerate().take(n + 1).skip(1) {
        if r >= 1 && r <= rows && j <= cols {
            out[r - 1] = Some(j - 1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_best_total_not_the_greedy_one() {
        // Greedy takes 9 then 1 (10); the best is 8 + 7 (15).
        let s = vec![vec![9.0, 8.0], vec![7.0, 1.0]];
        assert_eq!(best_assignment(&s), vec![Some(1), Some(0)]);
    }

    #[test]
    fn handles_rectangles() {
        let s = vec![vec![1.0, 5.0, 2.0]];
        assert_eq!(best_assignment(&s), vec![Some(1)]);
        let s = vec![vec![1.0], vec![4.0], vec![2.0]];
        assert_eq!(best_assignment(&s), vec![None, Some(0), None]);
        assert!(best_assignment(&[]).is_empty());
    }
}
