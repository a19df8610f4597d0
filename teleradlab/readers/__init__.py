"""Human reader studies: design, reading, storage and multi-reader multi-case (MRMC) analysis."""
