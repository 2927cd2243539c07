-- 000011 replaced no earlier definition, so going down drops what it
-- added.
DROP FUNCTION IF EXISTS kijun_save_answer(bigint, text, int, text, smallint, text, text, text, text, date, text, text, boolean);
DROP FUNCTION IF EXISTS kijun_lock_editable(bigint, text, text, boolean);
DROP FUNCTION IF EXISTS kijun_answer_json(answers);
DROP FUNCTION IF EXISTS kijun_json_time(timestamptz);
