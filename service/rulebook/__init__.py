"""The rulebook: the rules directory loaded, checked and compiled once, its kinds, value sets and
search plan.
"""
