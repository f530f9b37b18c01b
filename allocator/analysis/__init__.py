"""allocator.analysis"""
