//! [`Value`]: a dynamically typed argument, JSON plus binary.
#![allow(missing_docs)]
// TEMPORARY STUB (lead): replaced by the proto branch.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Value { Null }
