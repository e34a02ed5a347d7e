//! `--vary path.to.field=a:b:steps|v1,v2,…`: the values a sweep gives one world field,
//! and the points of a sweep (the grid of all combinations, or the values paired).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::EnsembleError;

/// One varied world field and its values, as `--set` values (text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vary {
    /// Field path, as `--set` takes it, e.g. `lenders[1].base_max_ltv`.
    pub path: String,
    /// The values in order, e.g. `["0.5", "0.6", "0.7"]`.
    pub values: Vec<String>,
}

impl FromStr for Vary {
    type Err = EnsembleError;

    /// `path=a:b:steps` is `steps` evenly spaced numbers from `a` to `b`, both included
    /// (`0.5:0.7:3` is 0.5, 0.6, 0.7); `path=v1,v2,…` is a list (commas inside
    /// parentheses belong to a value, as in `Uniform(0.6, 0.7)`).
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let fail = |message: &str| EnsembleError::Vary {
            spec: spec.to_string(),
            message: message.to_string(),
        };
        let (path, raw) = spec
            .split_once('=')
            .ok_or_else(|| fail("expected path.to.field=a:b:steps or path.to.field=v1,v2,..."))?;
        let path = path.trim();
        if path.is_empty() || path.contains(char::is_whitespace) {
            return Err(fail("the field path is empty or has spaces"));
        }
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(fail("no values after `=`"));
        }
        let values = if raw.contains(':') && !raw.contains('(') {
            range(raw).map_err(|m| fail(&m))?
        } else {
            list(raw).map_err(|m| fail(&m))?
        };
        Ok(Vary {
            path: path.to_string(),
            values,
        })
    }
}

/// `a:b:steps` as `steps` values from `a` to `b`.
fn range(raw: &str) -> Result<Vec<String>, String> {
    let parts: Vec<&str> = raw.split(':').map(str::trim).collect();
    let [a, b, steps] = parts[..] else {
        return Err("a range is a:b:steps, e.g. 0.5:0.7:3 (three values from 0.5 to 0.7)".into());
    };
    let number = |s: &str| {
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("`{s}` is not a number"))
    };
    let (a, b) = (number(a)?, number(b)?);
    let steps: usize = steps
        .parse()
        .map_err(|_| format!("steps `{steps}` is not a whole number"))?;
    if steps < 2 {
        return Err(
            "steps is the number of values, at least 2 (list one value as `path=v`)".into(),
        );
    }
    Ok((0..steps)
        .map(|i| {
            let v = if i + 1 == steps {
                b
            } else {
                a + (b - a) * i as f64 / (steps - 1) as f64
            };
            number_text(v)
        })
        .collect())
}

/// A grid value as text: rounded to 12 significant digits, so that 0.5 + 0.1 reads
/// `0.6` rather than `0.6000000000000001`, and in Rust's shortest form.
fn number_text(v: f64) -> String {
    let rounded: f64 = format!("{v:.11e}").parse().unwrap_or(v);
    let text = format!("{rounded}");
    if text == "-0" { "0".into() } else { text }
}

/// `v1,v2,…` split at commas outside parentheses and brackets.
fn list(raw: &str) -> Result<Vec<String>, String> {
    let mut values = Vec::new();
    let mut depth = 0i32;
    let mut current = String::new();
    for c in raw.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                values.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    values.push(current);
    if depth != 0 {
        return Err("unbalanced parentheses".into());
    }
    let values: Vec<String> = values.iter().map(|v| v.trim().to_string()).collect();
    if values.iter().any(String::is_empty) {
        return Err("an empty value in the list".into());
    }
    Ok(values)
}

/// The points of a sweep, each a list of values (one per varied field): every
/// combination with the first field changing slowest, or with `paired` the i-th value
/// of every field together (the lists must then have the same length).
pub fn points(varied: &[Vary], paired: bool) -> Result<Vec<Vec<String>>, EnsembleError> {
    if varied.is_empty() {
        return Ok(vec![Vec::new()]);
    }
    if paired {
        let n = varied[0].values.len();
        if let Some(v) = varied.iter().find(|v| v.values.len() != n) {
            return Err(EnsembleError::Arguments(format!(
                "--paired needs the same number of values for every --vary: `{}` has {n}, `{}` has {}",
                varied[0].path,
                v.path,
                v.values.len()
            )));
        }
        return Ok((0..n)
            .map(|i| varied.iter().map(|v| v.values[i].clone()).collect())
            .collect());
    }
    let mut grid: Vec<Vec<String>> = vec![Vec::new()];
    for v in varied {
        grid = grid
            .into_iter()
            .flat_map(|point| {
                v.values.iter().map(move |value| {
                    let mut p = point.clone();
                    p.push(value.clone());
                    p
                })
            })
            .collect();
    }
    Ok(grid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vary(spec: &str) -> Vary {
        spec.parse().unwrap()
    }

    #[test]
    fn ranges_include_both_ends() {
        let v = vary("lenders[1].base_max_ltv=0.5:0.7:3");
        assert_eq!(v.path, "lenders[1].base_max_ltv");
        assert_eq!(v.values, ["0.5", "0.6", "0.7"]);
        assert_eq!(vary("a=0.1:0.3:3").values, ["0.1", "0.2", "0.3"]);
        assert_eq!(vary("a=5:10:6").values, ["5", "6", "7", "8", "9", "10"]);
    }

    #[test]
    fn lists_keep_commas_inside_parentheses() {
        let v = vary("operators[1].leverage=Uniform(0.6, 0.7),0.8, Fixed(0.9)");
        assert_eq!(v.values, ["Uniform(0.6, 0.7)", "0.8", "Fixed(0.9)"]);
    }

    #[test]
    fn bad_syntax_is_bad_input() {
        for bad in [
            "no_equals",
            "=1,2",
            "a=",
            "a=0.5:0.7",
            "a=0.5:x:3",
            "a=0.5:0.7:1",
            "a=0.5:0.7:2.5",
            "a=1,,2",
            "a=Uniform(0.6,0.7",
        ] {
            let e = bad.parse::<Vary>().unwrap_err();
            assert!(e.is_bad_input(), "{bad}");
            assert!(e.to_string().starts_with(&format!("--vary {bad}:")), "{e}");
        }
    }

    #[test]
    fn grid_varies_the_first_field_slowest_and_paired_zips() {
        let a = vary("a=1,2");
        let b = vary("b=x,y,z");
        let grid = points(&[a.clone(), b.clone()], false).unwrap();
        assert_eq!(grid.len(), 6);
        assert_eq!(grid[0], ["1", "x"]);
        assert_eq!(grid[1], ["1", "y"]);
        assert_eq!(grid[3], ["2", "x"]);
        assert!(points(&[a.clone(), b], true).is_err());
        let c = vary("c=7,8");
        assert_eq!(points(&[a, c], true).unwrap(), [["1", "7"], ["2", "8"]]);
        assert_eq!(points(&[], false).unwrap(), vec![Vec::<String>::new()]);
    }
}
