//! Reading a world: finding the file, parsing with positions, overrides, validation.

use crate::cost::{Limits, check_cost};
use crate::error::{Invalid, WorldError};
use crate::schema::WorldFile;
use crate::validate::validate;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The shipped worlds directory of this checkout (found at build time).
pub fn shipped_worlds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../worlds")
}

/// Finds a world given as a path, or as a name of a file in `worlds/` (here or shipped).
pub fn resolve(name_or_path: &str) -> Result<PathBuf, WorldError> {
    let direct = PathBuf::from(name_or_path);
    if direct.is_file() {
        return Ok(direct);
    }
    let stem = name_or_path.trim_end_matches(".ron");
    for dir in [PathBuf::from("worlds"), shipped_worlds_dir()] {
        let candidate = dir.join(format!("{stem}.ron"));
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    Err(WorldError::NotFound(name_or_path.to_string()))
}

/// The parser's message, with what was expected where the parser's own words do not
/// say it (dates, whole numbers, an empty file).
fn explain(message: &str) -> String {
    let hint = match message {
        "input contains invalid characters"
        | "input is out of range"
        | "premature end of input"
        | "trailing input"
        | "input is not enough for unique date and time" => {
            "; expected a date \"YYYY-MM-DD\" naming a real day"
        }
        m if m.starts_with("Integer is out of bounds") => {
            "; expected a whole number from 0 to 4294967295 (see the field's bounds)"
        }
        m if m.starts_with("Found invalid std identifier") => {
            "; a distribution is written Fixed(x), Uniform(low, high), Normal(mean, sd) or LogNormal(median, sigma)"
        }
        _ => "",
    };
    format!("{message}{hint}")
}

/// Parses RON text; errors carry line, column and the field path.
pub fn parse(text: &str, file: &Path) -> Result<WorldFile, WorldError> {
    if text.trim().is_empty() {
        return Err(WorldError::Parse {
            file: file.to_path_buf(),
            line: 1,
            column: 1,
            path: "(top level)".into(),
            message: "Expected opening `(` for struct `World`: the file is empty".into(),
        });
    }
    // A byte-order mark is invisible in most editors; it is not part of the world.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut de = ron::Deserializer::from_str(text).map_err(|e| WorldError::Parse {
        file: file.to_path_buf(),
        line: e.span.start.line,
        column: e.span.start.col,
        path: "(file)".into(),
        message: explain(&e.code.to_string()),
    })?;
    let result: Result<WorldFile, _> = serde_path_to_error::deserialize(&mut de);
    let world = result.map_err(|e| {
        let path = e.path().to_string();
        let spanned = de.span_error(e.into_inner());
        WorldError::Parse {
            file: file.to_path_buf(),
            line: spanned.span.start.line,
            column: spanned.span.start.col,
            path: if path == "." {
                "(top level)".into()
            } else {
                path
            },
            message: explain(&spanned.code.to_string()),
        }
    })?;
    de.end().map_err(|e| {
        let spanned = de.span_error(e);
        WorldError::Parse {
            file: file.to_path_buf(),
            line: spanned.span.start.line,
            column: spanned.span.start.col,
            path: "(after the world)".into(),
            message: explain(&spanned.code.to_string()),
        }
    })?;
    Ok(world)
}

/// Reads, parses, overrides and validates a world, within the default [`Limits`].
pub fn load(
    name_or_path: &str,
    seed: Option<u64>,
    ticks: Option<u32>,
    sets: &[String],
) -> Result<(PathBuf, WorldFile), WorldError> {
    load_within(name_or_path, seed, ticks, sets, &Limits::default())
}

/// Reads, parses, overrides and validates a world, and refuses one whose run would
/// pass `limits`.
pub fn load_within(
    name_or_path: &str,
    seed: Option<u64>,
    ticks: Option<u32>,
    sets: &[String],
    limits: &Limits,
) -> Result<(PathBuf, WorldFile), WorldError> {
    let file = resolve(name_or_path)?;
    let text = read_text(&file)?;
    let mut world = parse(&text, &file)?;
    if let Some(seed) = seed {
        world.seed = seed;
    }
    if let Some(ticks) = ticks {
        world.ticks = ticks;
    }
    let mut world = apply_overrides(world, sets)?;
    let shown = file.display().to_string();
    validate(&world, &shown).map_err(WorldError::Invalid)?;
    crate::series::read_replays(&mut world, &file)?;
    let world = world.at_scale();
    validate(&world, &format!("{shown} (at its scale)")).map_err(WorldError::Invalid)?;
    check_cost(&world, &shown, limits)?;
    Ok((file, world))
}

/// A world file's text; a file that is not UTF-8 is named with the line and column of
/// its first bad byte.
fn read_text(file: &Path) -> Result<String, WorldError> {
    let bytes = std::fs::read(file).map_err(|source| WorldError::Io {
        file: file.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = valid.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        WorldError::Parse {
            file: file.to_path_buf(),
            line,
            column,
            path: "(file)".into(),
            message: "not UTF-8 text: a world file is RON, saved as UTF-8".into(),
        }
    })
}

/// Applies `path.to.field=VALUE` overrides (`[*]` for every item of a list); each is
/// checked against the schema.
pub fn apply_overrides(world: WorldFile, sets: &[String]) -> Result<WorldFile, WorldError> {
    if sets.is_empty() {
        return Ok(world);
    }
    let mut value = serde_json::to_value(&world).map_err(|e| WorldError::Override {
        arg: String::new(),
        message: e.to_string(),
    })?;
    for arg in sets {
        let fail = |message: String| WorldError::Override {
            arg: arg.clone(),
            message,
        };
        let (path, raw) = arg
            .split_once('=')
            .ok_or_else(|| fail("expected path.to.field=VALUE".into()))?;
        for slot in locate(&mut value, path).map_err(fail)? {
            *slot = parse_value(raw.trim(), slot);
        }
        let check: Result<WorldFile, _> = serde_path_to_error::deserialize(&value);
        if let Err(e) = check {
            return Err(fail(format!("{}: {}", e.path(), e.inner())));
        }
    }
    serde_json::from_value(value).map_err(|e| WorldError::Override {
        arg: sets.join(" "),
        message: e.to_string(),
    })
}

/// The JSON slots at `a.b[2].c` (or `a.b.2.c`); `[*]` stands for every item of a list,
/// so `operators[*].resale.share_per_week=0.02` sets the field in every operator class.
fn locate<'v>(root: &'v mut Value, path: &str) -> Result<Vec<&'v mut Value>, String> {
    let keys = path.replace('[', ".").replace(']', "");
    let keys: Vec<&str> = keys.split('.').filter(|k| !k.is_empty()).collect();
    let mut slots = vec![root];
    for (depth, &key) in keys.iter().enumerate() {
        let last = depth + 1 == keys.len();
        let mut next = Vec::with_capacity(slots.len());
        for slot in slots {
            match slot {
                Value::Object(map) => {
                    // A field left out of the file (a `None`, a class's `rules`) can
                    // still be set: a leaf starts empty, a table starts with no entries;
                    // the schema check that follows refuses a name that is no field.
                    let slot = map.entry(key.to_string()).or_insert_with(|| {
                        if last {
                            Value::Null
                        } else {
                            Value::Object(Default::default())
                        }
                    });
                    next.push(slot);
                }
                Value::Array(items) => {
                    if key == "*" {
                        next.extend(items.iter_mut());
                        continue;
                    }
                    let len = items.len();
                    let index: usize = key
                        .parse()
                        .map_err(|_| format!("`{key}` is not a list index (a number or *)"))?;
                    next.push(items.get_mut(index).ok_or_else(|| {
                        format!("index {index} is past the end of a list of {len}")
                    })?);
                }
                _ => return Err(format!("`{key}`: this value has no fields")),
            }
        }
        slots = next;
    }
    Ok(slots)
}

/// Parses an override value: JSON, `Name(a, b)`, a bare number into a distribution
/// (`Fixed`), or a bare word (enum variant, date) as a string.
fn parse_value(raw: &str, current: &Value) -> Value {
    if let Ok(v) = serde_json::from_str::<Value>(raw) {
        let is_dist = current.as_object().is_some_and(|m| {
            m.len() == 1
                && m.keys()
                    .all(|k| ["Fixed", "Uniform", "Normal", "LogNormal"].contains(&k.as_str()))
        });
        if is_dist && v.is_number() {
            return serde_json::json!({ "Fixed": v });
        }
        return v;
    }
    // A rule choice: `Rule("name", {"param": value})`.
    if let Some(args) = raw.strip_prefix("Rule(").and_then(|r| r.strip_suffix(')'))
        && let Some((name, params)) = args.split_once(',')
        && let (Ok(name), Ok(params)) = (
            serde_json::from_str::<Value>(name.trim()),
            serde_json::from_str::<Value>(params.trim()),
        )
    {
        return Value::Array(vec![name, params]);
    }
    if let Some((name, rest)) = raw.split_once('(')
        && let Some(args) = rest.strip_suffix(')')
    {
        let args: Vec<Value> = args
            .split(',')
            .map(|a| serde_json::from_str(a.trim()).unwrap_or(Value::String(a.trim().to_string())))
            .collect();
        let inner = if args.len() == 1 {
            args[0].clone()
        } else {
            Value::Array(args)
        };
        return serde_json::json!({ name.trim(): inner });
    }
    Value::String(raw.to_string())
}

/// The world as RON text, for `world.ron` in the output.
pub fn to_ron(world: &WorldFile) -> String {
    let config = ron::ser::PrettyConfig::new()
        .depth_limit(4)
        .struct_names(true);
    ron::ser::to_string_pretty(world, config)
        .unwrap_or_else(|e| format!("// could not serialise the world: {e}\n"))
}

/// An invalid-value error for a world built in code.
pub fn invalid(path: &str, message: impl Into<String>) -> WorldError {
    WorldError::Invalid(vec![Invalid {
        file: "world".into(),
        path: path.into(),
        message: message.into(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baseline() -> WorldFile {
        load("baseline", None, None, &[]).expect("baseline loads").1
    }

    #[test]
    fn a_star_sets_the_field_in_every_class() {
        let world = apply_overrides(
            baseline(),
            &["operators[*].resale.share_per_week=0.03".into()],
        )
        .expect("the override applies");
        assert!(world.operators.len() > 1);
        assert!(
            world
                .operators
                .iter()
                .all(|o| o.resale.share_per_week == 0.03)
        );
        let one = apply_overrides(
            baseline(),
            &["operators[1].resale.share_per_week=0.03".into()],
        )
        .expect("the override applies");
        assert_eq!(
            one.operators[0].resale.share_per_week,
            baseline().operators[0].resale.share_per_week
        );
        assert_eq!(one.operators[1].resale.share_per_week, 0.03);
    }

    #[test]
    fn a_star_on_a_missing_field_is_refused() {
        let err = apply_overrides(baseline(), &["operators[*].nope=1".into()])
            .expect_err("no such field");
        assert!(err.to_string().contains("unknown field `nope`"), "{err}");
    }
}
