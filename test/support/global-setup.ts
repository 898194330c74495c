// Filled in by the foundation commit: starts PostgreSQL for the suite.
export default function setup(): void {}
