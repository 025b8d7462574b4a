-- The stand-in bearer tokens of the staff API are replaced by accounts and sessions.
DROP TABLE staff_tokens;
