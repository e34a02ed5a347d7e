//! World files of firesale: the RON schema, validation with clear errors, `--set`
//! overrides, and spawning a world's agents into a bevy `World`.
#![warn(missing_docs)]

mod capital;
mod capital_spawn;
mod cost;
mod dist;
mod error;
mod load;
mod rule_choice;
pub use rule_choice::rule_families;
mod scale;
pub use scale::SCALE_RANGE;
mod schema;
mod series;
mod spawn;
mod validate;

pub use capital::*;
pub use cost::*;
pub use error::*;
pub use load::*;
pub use schema::*;
pub use series::*;
pub use spawn::*;
pub use validate::*;
