"""The command line surface: evaluate a Bundle, check and explain the rules, run a trial's cases."""
