//! Helpers for the compiled stand-in programs of the generated channel.

pub use standin_channel::programs::elf_machine;
