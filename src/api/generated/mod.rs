//! The typed methods generated from the procedure → handle table (`codegen/src/api/`).

mod remote;

#[cfg(test)]
mod tests;
