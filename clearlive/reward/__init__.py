"""Reward: rank rooms and allocate traffic toward good hosts, and simulate what each policy does."""
