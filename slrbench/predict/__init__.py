"""`slrbench predict`: a trained run (or an imported checkpoint) names the signs in a user's videos."""
