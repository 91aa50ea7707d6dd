//! A zeroed, 4 KiB-aligned heap buffer for O_DIRECT reads.
//!
//! Why not `Vec<u8>`: O_DIRECT needs the buffer address aligned to the logical block size, and
//! rkyv's in-place access needs payloads 16-aligned in memory; `Vec<u8>` guarantees neither.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::ptr::NonNull;

use crate::format::BLOCK;

/// An owned buffer aligned to [`BLOCK`], its length a multiple of [`BLOCK`] (at least one).
pub struct AlignedBuf {
    ptr: NonNull<u8>,
    layout: Layout,
}

impl AlignedBuf {
    /// A zeroed buffer of at least `len` bytes (rounded up to a block); `None` if too large.
    pub fn zeroed(len: usize) -> Option<AlignedBuf> {
        let size = len.max(1).checked_next_multiple_of(BLOCK)?;
        let layout = Layout::from_size_align(size, BLOCK).ok()?;
        // SAFETY: `layout` has a non-zero size.
        let ptr = NonNull::new(unsafe { alloc_zeroed(layout) })?;
        Some(AlignedBuf { ptr, layout })
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.layout.size()
    }

    /// Never empty (kept for the `len`/`is_empty` convention).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `ptr` points to `layout.size()` initialised (zeroed, then written) bytes owned
        // by `self`; the shared borrow of `self` keeps them alive and unaliased by writers.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.layout.size()) }
    }

    /// Raw pointer for the kernel to write into (io_uring reads).
    pub(crate) fn as_mut_ptr(&mut self) -> *mut u8 {
        self.ptr.as_ptr()
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `zeroed` with exactly this layout, freed once.
        unsafe { dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

impl std::fmt::Debug for AlignedBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlignedBuf")
            .field("len", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_and_rounded() {
        let buf = AlignedBuf::zeroed(5000).expect("allocates");
        assert_eq!(buf.len(), 8192);
        assert_eq!(buf.as_slice().as_ptr() as usize % BLOCK, 0);
        assert!(buf.as_slice().iter().all(|&b| b == 0));
        assert_eq!(AlignedBuf::zeroed(0).map(|b| b.len()), Some(BLOCK));
        assert!(AlignedBuf::zeroed(usize::MAX).is_none());
    }
}
