"""Demo seeding, part of the composition root: ``patron seed-demo`` runs each
app's demo step in order (``data.STEPS``)."""
