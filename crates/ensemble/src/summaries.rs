//! One row per run from each run's `summary.json`: `summaries.csv` for an ensemble,
//! `sweep.csv` (with the varied values) for a sweep; and the headline figures of every
//! run, for the sweep charts and the printed distribution.
//!
//! Summaries are read twice from disk (once for the columns, once for the rows) rather
//! than held, so memory does not grow with the number of runs beyond a few numbers each.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::plan::{Kind, Plan};
use crate::{AtomicCsv, EnsembleError};

/// A headline figure of `summary.json`, charted against the varied parameter of a sweep.
#[derive(Debug, Clone, Copy)]
pub struct Headline {
    /// Key in `summary.json`.
    pub key: &'static str,
    /// What it is, for titles.
    pub title: &'static str,
    /// Axis title with unit.
    pub y_desc: &'static str,
    /// Whether it is a fraction (charted in percent).
    pub percent: bool,
}

/// The figures the README's headline table reports, plus losses and recoveries.
pub const HEADLINES: [Headline; 8] = [
    Headline {
        key: "default_rate",
        title: "Share of operators that defaulted",
        y_desc: "default rate (%)",
        percent: true,
    },
    Headline {
        key: "distressed_discount",
        title: "Fire-sale discount: distressed vs voluntary price (runs with a fire sale)",
        y_desc: "distressed discount (%)",
        percent: true,
    },
    Headline {
        key: "peak_discount",
        title: "Peak fire-sale discount (runs with a fire sale)",
        y_desc: "peak discount (%)",
        percent: true,
    },
    Headline {
        key: "weeks_to_clear_repossessed",
        title: "Weeks to sell repossessed lots",
        y_desc: "weeks",
        percent: false,
    },
    Headline {
        key: "lender_losses_usd",
        title: "Lender losses",
        y_desc: "losses ($)",
        percent: false,
    },
    Headline {
        key: "lender_failures",
        title: "Lender failures",
        y_desc: "lenders failed",
        percent: false,
    },
    Headline {
        key: "repo_volume_total",
        title: "Repo funding extended",
        y_desc: "repo funding ($)",
        percent: false,
    },
    Headline {
        key: "recovery_rate",
        title: "Recovery rate on defaulted loans",
        y_desc: "recovered / principal at default (%)",
        percent: true,
    },
];

/// `HEADLINES` values of every run, `[figure][run]`, `NaN` where a run has none.
pub type HeadlineValues = Vec<Vec<f64>>;

/// Writes `summaries.csv` (ensemble) or `sweep.csv` (sweep) into `out`; returns its path
/// and the headline figures of every run.
pub fn write_run_table(
    out: &Path,
    plan: &Plan,
) -> Result<(std::path::PathBuf, HeadlineValues), EnsembleError> {
    let mut columns: Vec<String> = Vec::new();
    for run in &plan.runs {
        let fields = read_summary(&out.join(&run.dir))?;
        merge_columns(&mut columns, fields.iter().map(|(k, _)| k.as_str()));
    }
    drop_shadowed(&mut columns);
    columns.retain(|c| c != "seed");

    let name = match plan.kind {
        Kind::Ensemble => "summaries.csv",
        Kind::Sweep => "sweep.csv",
    };
    let path = out.join(name);
    let mut csv = AtomicCsv::create(&path)?;
    let mut header: Vec<String> = vec!["run".into()];
    if plan.kind == Kind::Sweep {
        header.push("point".into());
        header.extend(plan.varied.iter().map(|v| v.path.clone()));
    }
    header.push("seed".into());
    header.extend(columns.iter().cloned());
    csv.row(&header)?;

    let mut headline = vec![vec![f64::NAN; plan.runs.len()]; HEADLINES.len()];
    for run in &plan.runs {
        let fields = read_summary(&out.join(&run.dir))?;
        let get = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        let mut row = vec![run.index.to_string()];
        if plan.kind == Kind::Sweep {
            row.push(run.point.to_string());
            row.extend(plan.points[run.point].values.iter().cloned());
        }
        row.push(run.seed.to_string());
        row.extend(columns.iter().map(|c| get(c).map(cell).unwrap_or_default()));
        csv.row(&row)?;
        for (f, h) in HEADLINES.iter().enumerate() {
            if let Some(v) = get(h.key).and_then(Value::as_f64) {
                headline[f][run.index] = v;
            }
        }
    }
    csv.finish()?;
    Ok((path, headline))
}

/// Adds keys not seen yet, each right after the key that precedes it in this run, so
/// that columns keep the order of `summary.json` even when a nested object is absent
/// in the first runs.
fn merge_columns<'a>(columns: &mut Vec<String>, keys: impl Iterator<Item = &'a str>) {
    let mut after: Option<usize> = None;
    for key in keys {
        match columns.iter().position(|c| c == key) {
            Some(i) => after = Some(i),
            None => {
                let at = after.map_or(0, |i| i + 1);
                columns.insert(at, key.to_string());
                after = Some(at);
            }
        }
    }
}

/// Drops a key that is `null` in some runs and an object in others: the object's
/// `key.child` columns stand for it.
fn drop_shadowed(columns: &mut Vec<String>) {
    let nested: Vec<String> = columns
        .iter()
        .filter(|c| c.contains('.'))
        .cloned()
        .collect();
    columns.retain(|c| !nested.iter().any(|n| n.starts_with(&format!("{c}."))));
}

/// A value as a CSV cell: text as is, numbers as JSON writes them, `null` empty.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A run's `summary.json` flattened to `(key, value)` in file order; nested objects
/// become `parent.child` keys.
pub fn read_summary(run_dir: &Path) -> Result<Vec<(String, Value)>, EnsembleError> {
    let path = run_dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(EnsembleError::io(&path))?;
    let json: Json = serde_json::from_str(&text).map_err(|e| EnsembleError::BadFile {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let Json::Object(fields) = json else {
        return Err(EnsembleError::BadFile {
            path,
            message: "not a JSON object".into(),
        });
    };
    let mut flat = Vec::new();
    flatten("", fields, &mut flat);
    Ok(flat)
}

fn flatten(prefix: &str, fields: Vec<(String, Json)>, flat: &mut Vec<(String, Value)>) {
    for (key, value) in fields {
        let key = if prefix.is_empty() {
            key
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Json::Leaf(v) => flat.push((key, v)),
            Json::Object(inner) => flatten(&key, inner, flat),
        }
    }
}

/// A JSON value whose objects keep their keys in file order (serde_json's `Map` sorts
/// them unless a feature changes it for the whole workspace).
enum Json {
    Leaf(Value),
    Object(Vec<(String, Json)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Leaf(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Leaf(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Leaf(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Leaf(Value::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Leaf(Value::String(v.to_string())))
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Leaf(Value::Null))
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Leaf(Value::Null))
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Json::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<Value>()? {
            items.push(v);
        }
        Ok(Json::Leaf(Value::Array(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut fields = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            fields.push((k, v));
        }
        Ok(Json::Object(fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_flatten_in_file_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("summary.json"),
            r#"{"world":"w","seed":7,"z":0.5,"nested":{"b":1,"a":null},"a":[1,2],"n":null}"#,
        )
        .unwrap();
        let flat = read_summary(dir.path()).unwrap();
        let keys: Vec<&str> = flat.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["world", "seed", "z", "nested.b", "nested.a", "a", "n"]
        );
        let cells: Vec<String> = flat.iter().map(|(_, v)| cell(v)).collect();
        assert_eq!(cells, ["w", "7", "0.5", "1", "", "[1,2]", ""]);
    }

    #[test]
    fn columns_of_a_late_nested_object_stay_in_place() {
        let mut columns = Vec::new();
        merge_columns(&mut columns, ["a", "big", "c"].into_iter());
        merge_columns(&mut columns, ["a", "big.x", "big.y", "c"].into_iter());
        merge_columns(&mut columns, ["a", "big", "c", "d"].into_iter());
        drop_shadowed(&mut columns);
        assert_eq!(columns, ["a", "big.x", "big.y", "c", "d"]);
    }
}
