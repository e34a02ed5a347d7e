//! Named, swappable decision rules.
//!
//! Every decision an agent makes (how a lender marks collateral, when it calls a loan,
//! whether it holds or sells what it repossessed, what haircut a repo desk applies, how a
//! buyer bids …) is a *rule*: a small trait in the agent's crate, whose built-in behaviour
//! is one implementation among others. A rule sees a read-only view of what its agent
//! may know and returns a decision; money and lots still move only through the ledger
//! and the market systems, so no rule can break conservation or determinism.
//!
//! Each rule family has a [`Registry`] of named rules. A world file chooses a rule per
//! agent class by name with its own parameters (`Rule("floor_at_model", {"floor": 0.7})`);
//! an unknown name or parameter is refused with the list of what exists. A researcher
//! adds a rule from their own crate by registering it before the world is loaded (see
//! `examples/custom_rule.rs` and `docs/rules.md`).

use crate::MasterSeed;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, RwLock};

/// A rule's parameters as the world file gives them: name to number.
pub type RuleParams = BTreeMap<String, f64>;

/// One parameter a rule takes.
#[derive(Debug, Clone)]
pub struct ParamDoc {
    /// Its name in the world file.
    pub name: &'static str,
    /// What it means, with its unit.
    pub doc: &'static str,
    /// Its value when the world file leaves it out.
    pub default: f64,
}

/// Builds a rule from its parameters (all present: defaults are filled in first), or
/// says why it cannot.
pub type Builder<T> = fn(&Params) -> Result<Arc<T>, String>;

/// A rule of one family that can be built by name.
pub struct RuleInfo<T: ?Sized> {
    /// Its name in world files, `snake_case`.
    pub name: &'static str,
    /// What it does, in one line.
    pub doc: &'static str,
    /// The parameters it takes.
    pub params: Vec<ParamDoc>,
    /// Builds it.
    pub build: Builder<T>,
}

impl<T: ?Sized> RuleInfo<T> {
    /// A rule that takes no parameters.
    pub fn without_params(name: &'static str, doc: &'static str, build: Builder<T>) -> Self {
        RuleInfo {
            name,
            doc,
            params: Vec::new(),
            build,
        }
    }
}

impl<T: ?Sized> Clone for RuleInfo<T> {
    fn clone(&self) -> Self {
        RuleInfo {
            name: self.name,
            doc: self.doc,
            params: self.params.clone(),
            build: self.build,
        }
    }
}

/// A rule's parameters with the defaults filled in, and the random stream of the agent's
/// rule: what a builder reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    values: RuleParams,
    stream: ChaCha8Rng,
}

impl Params {
    /// The value of parameter `name` (every declared parameter is present).
    pub fn get(&self, name: &str) -> f64 {
        self.values.get(name).copied().unwrap_or(f64::NAN)
    }

    /// The rule's own random stream: derived from the run's master seed, the agent's
    /// name and the family (`rule/<agent>/<family>`), so a rule that draws stays
    /// reproducible and draws nothing from any other stream. A rule that needs it keeps
    /// it (behind a `Mutex`, since rules decide through `&self`).
    pub fn stream(&self) -> ChaCha8Rng {
        self.stream.clone()
    }

    /// The value of `name` as a whole number in `[lo, hi]` (weeks, counts).
    pub fn whole(&self, name: &str, lo: u32, hi: u32) -> Result<u32, String> {
        let value = self.get(name);
        if value.fract() == 0.0 && value >= f64::from(lo) && value <= f64::from(hi) {
            Ok(value as u32)
        } else {
            Err(format!(
                "parameter `{name}`: expected a whole number from {lo} to {hi}, found {value}"
            ))
        }
    }

    /// The value of `name`, refused unless it lies in `[lo, hi]`.
    pub fn within(&self, name: &str, lo: f64, hi: f64) -> Result<f64, String> {
        let value = self.get(name);
        if value.is_finite() && value >= lo && value <= hi {
            Ok(value)
        } else {
            Err(format!(
                "parameter `{name}`: expected a value in [{lo}, {hi}], found {value}"
            ))
        }
    }
}

/// The named rules of one family.
pub struct Registry<T: ?Sized> {
    /// The family, e.g. `lender.liquidation`.
    pub family: &'static str,
    /// What the family decides, in one line.
    pub doc: &'static str,
    rules: Vec<RuleInfo<T>>,
}

impl<T: ?Sized> Registry<T> {
    /// A family with its built-in rules.
    pub fn new(family: &'static str, doc: &'static str, rules: Vec<RuleInfo<T>>) -> Self {
        Registry { family, doc, rules }
    }

    /// Adds a rule, or replaces the one of the same name.
    pub fn register(&mut self, rule: RuleInfo<T>) {
        match self.rules.iter_mut().find(|r| r.name == rule.name) {
            Some(existing) => *existing = rule,
            None => self.rules.push(rule),
        }
    }

    /// The names of every rule, in registration order (built-ins first).
    pub fn names(&self) -> Vec<&'static str> {
        self.rules.iter().map(|r| r.name).collect()
    }

    /// Every rule.
    pub fn rules(&self) -> &[RuleInfo<T>] {
        &self.rules
    }

    /// Checks a choice against the family: the name exists, every parameter given is
    /// one the rule takes, and the rule builds with them (each value in its range).
    pub fn check(&self, choice: &RuleChoice) -> Result<(), String> {
        self.build(choice, ChaCha8Rng::seed_from_u64(0)).map(|_| ())
    }

    fn params_of(&self, choice: &RuleChoice) -> Result<(&RuleInfo<T>, Params), String> {
        let Some(info) = self.rules.iter().find(|r| r.name == choice.name) else {
            return Err(format!(
                "unknown {} rule {:?}: expected one of {:?} (`firesale rules` lists them)",
                self.family,
                choice.name,
                self.names()
            ));
        };
        let mut params = RuleParams::new();
        for p in &info.params {
            params.insert(p.name.to_string(), p.default);
        }
        for (name, value) in &choice.params {
            if !info.params.iter().any(|p| p.name == name) {
                let known: Vec<&str> = info.params.iter().map(|p| p.name).collect();
                return Err(format!(
                    "{} rule {:?} takes no parameter `{name}`: expected one of {known:?}",
                    self.family, choice.name
                ));
            }
            if !value.is_finite() {
                return Err(format!(
                    "{} rule {:?}: parameter `{name}` must be a finite number, found {value}",
                    self.family, choice.name
                ));
            }
            params.insert(name.clone(), *value);
        }
        Ok((
            info,
            Params {
                values: params,
                stream: ChaCha8Rng::seed_from_u64(0),
            },
        ))
    }

    /// Builds the chosen rule with its parameters (defaults filled in) and `stream`.
    pub fn build(&self, choice: &RuleChoice, stream: ChaCha8Rng) -> Result<Arc<T>, String> {
        let (info, mut params) = self.params_of(choice)?;
        params.stream = stream;
        (info.build)(&params).map_err(|e| format!("{} rule {:?}: {e}", self.family, choice.name))
    }
}

/// A family's registry, shared by the whole process: built-ins are registered on first
/// use; a researcher's crate registers more before loading a world.
pub struct Family<T: ?Sized + 'static> {
    registry: std::sync::LazyLock<RwLock<Registry<T>>>,
}

impl<T: ?Sized + 'static> Family<T> {
    /// A family whose built-ins `init` lists.
    pub const fn new(init: fn() -> RwLock<Registry<T>>) -> Self {
        Family {
            registry: std::sync::LazyLock::new(init),
        }
    }

    /// Adds (or replaces) a rule.
    pub fn register(&self, rule: RuleInfo<T>) {
        self.registry
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .register(rule);
    }

    /// Reads the registry.
    pub fn with<R>(&self, f: impl FnOnce(&Registry<T>) -> R) -> R {
        f(&self.registry.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Checks a choice (see [`Registry::check`]).
    pub fn check(&self, choice: &RuleChoice) -> Result<(), String> {
        self.with(|r| r.check(choice))
    }

    /// Builds `choice`, or the built-in `default` when the world file chose none, for
    /// one agent (see [`Family::build`]).
    pub fn build_or(
        &self,
        choice: Option<&RuleChoice>,
        default: &str,
        seed: MasterSeed,
        agent: &str,
    ) -> Result<Arc<T>, String> {
        match choice {
            Some(choice) => self.build(choice, seed, agent),
            None => self.build(&RuleChoice::named(default), seed, agent),
        }
    }

    /// Builds a choice for one agent (see [`Registry::build`]): its stream is
    /// `seed.stream("rule/<agent>/<family>")`.
    pub fn build(
        &self,
        choice: &RuleChoice,
        seed: MasterSeed,
        agent: &str,
    ) -> Result<Arc<T>, String> {
        self.with(|r| r.build(choice, seed.stream(&format!("rule/{agent}/{}", r.family))))
    }

    /// A description of the family and its rules, for `firesale rules`.
    pub fn describe(&self) -> FamilyDoc {
        self.with(|r| FamilyDoc {
            family: r.family,
            doc: r.doc,
            rules: r
                .rules
                .iter()
                .map(|i| (i.name, i.doc, i.params.clone()))
                .collect(),
        })
    }
}

/// What `firesale rules` prints about one family.
#[derive(Debug, Clone)]
pub struct FamilyDoc {
    /// Family name.
    pub family: &'static str,
    /// What it decides.
    pub doc: &'static str,
    /// Its rules: name, doc, parameters.
    pub rules: Vec<(&'static str, &'static str, Vec<ParamDoc>)>,
}

impl fmt::Display for FamilyDoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {}", self.family, self.doc)?;
        for (name, doc, params) in &self.rules {
            writeln!(f, "  {name}: {doc}")?;
            for p in params {
                writeln!(f, "      {} = {} : {}", p.name, p.default, p.doc)?;
            }
        }
        Ok(())
    }
}

/// A rule chosen in a world file, written `Rule("name", {"param": value})`: its name
/// and the parameters it is given.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(from = "RuleTuple", into = "RuleTuple")]
pub struct RuleChoice {
    /// The rule's name in its family.
    pub name: String,
    /// Its parameters; the ones left out take their defaults.
    pub params: RuleParams,
}

/// The world-file form of a [`RuleChoice`].
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename = "Rule")]
struct RuleTuple(String, RuleParams);

impl From<RuleTuple> for RuleChoice {
    fn from(RuleTuple(name, params): RuleTuple) -> Self {
        RuleChoice { name, params }
    }
}

impl From<RuleChoice> for RuleTuple {
    fn from(choice: RuleChoice) -> Self {
        RuleTuple(choice.name, choice.params)
    }
}

impl RuleChoice {
    /// A built-in rule with its default parameters.
    pub fn named(name: &str) -> Self {
        RuleChoice {
            name: name.to_string(),
            params: RuleParams::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    trait Double: Send + Sync {
        fn apply(&self, x: f64) -> f64;
    }
    struct Times(f64);
    impl Double for Times {
        fn apply(&self, x: f64) -> f64 {
            x * self.0
        }
    }

    fn family() -> Registry<dyn Double> {
        Registry::new(
            "test.double",
            "multiplies",
            vec![RuleInfo {
                name: "times",
                doc: "multiplies by k",
                params: vec![ParamDoc {
                    name: "k",
                    doc: "factor",
                    default: 2.0,
                }],
                build: |p| Ok(Arc::new(Times(p.within("k", 0.0, 10.0)?))),
            }],
        )
    }

    /// Remembers the first number its stream draws.
    struct Draw(f64);
    impl Double for Draw {
        fn apply(&self, _: f64) -> f64 {
            self.0
        }
    }

    static DRAWS: Family<dyn Double> = Family::new(|| {
        RwLock::new(Registry::new(
            "test.draw",
            "draws",
            vec![RuleInfo::without_params("draw", "first draw", |p| {
                use rand::RngExt;
                Ok(Arc::new(Draw(p.stream().random::<f64>())))
            })],
        ))
    });

    #[test]
    fn each_agents_rule_has_its_own_reproducible_stream() {
        let draw = |seed: u64, agent: &str| {
            DRAWS
                .build(&RuleChoice::named("draw"), MasterSeed(seed), agent)
                .unwrap()
                .apply(0.0)
        };
        assert_eq!(draw(42, "bank-1"), draw(42, "bank-1"), "reproducible");
        assert_ne!(draw(42, "bank-1"), draw(42, "bank-2"), "per agent");
        assert_ne!(draw(42, "bank-1"), draw(7, "bank-1"), "per run seed");
    }

    #[test]
    fn a_choice_is_built_with_defaults_and_refused_with_what_exists() {
        let registry = family();
        let stream = || ChaCha8Rng::seed_from_u64(7);
        let rule = registry
            .build(&RuleChoice::named("times"), stream())
            .unwrap();
        assert_eq!(rule.apply(3.0), 6.0, "the default k");
        let mut choice = RuleChoice::named("times");
        choice.params.insert("k".into(), 5.0);
        assert_eq!(registry.build(&choice, stream()).unwrap().apply(3.0), 15.0);
        let unknown = registry.check(&RuleChoice::named("plus")).unwrap_err();
        assert!(
            unknown.contains("unknown test.double rule \"plus\"")
                && unknown.contains("[\"times\"]")
        );
        choice.params.insert("j".into(), 1.0);
        assert!(
            registry
                .check(&choice)
                .unwrap_err()
                .contains("no parameter `j`")
        );
        choice.params.remove("j");
        choice.params.insert("k".into(), 50.0);
        assert!(
            registry
                .build(&choice, stream())
                .err()
                .is_some_and(|e| e.contains("expected a value in [0, 10]"))
        );
    }
}
