-- Multi-page forms: each accepted page is one input_states row, named by its page.
ALTER TABLE input_states ADD COLUMN page TEXT;
