"""Moving to Firebell from another on-call tool: its set-up as a file `firebell apply -f` reads."""
