//! Helpers for the compiled stand-in programs of the generated channel.

#![allow(unused_imports)]

pub use standin_channel::programs::elf_machine;
