//! Running the user's code.

pub mod trace;
pub mod verify;
