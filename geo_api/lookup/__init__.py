"""Answers to grid officers' questions: what is here, who is the head."""
