"""allocator.solve.decompose"""
