-- kijun_operator_exists compared the char(13) 法人番号 with its text
-- argument as text, which no index serves: every call read the whole
-- register, and an import of n rows read it n times. Comparing as char
-- (bpchar, unbounded, so a longer argument is not cut to 13 characters
-- and matches nothing) uses the unique index.
CREATE OR REPLACE FUNCTION kijun_operator_exists(p_corporate_number text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT o.sector_code FROM operators o
  WHERE o.corporate_number = p_corporate_number::bpchar
    AND (kijun_system() OR kijun_nco() OR cardinality(kijun_sectors()) > 0)
$$;
