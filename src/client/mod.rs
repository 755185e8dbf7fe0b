//! The terminal side: attaching to a holder, detach keys, the picker.

pub mod attach;
pub mod detach_keys;
pub mod modes;
pub mod peek;
pub mod picker;
pub mod terminal;
