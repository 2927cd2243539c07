CREATE OR REPLACE FUNCTION kijun_operator_exists(p_corporate_number text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT o.sector_code FROM operators o
  WHERE o.corporate_number = p_corporate_number
    AND (kijun_system() OR kijun_nco() OR cardinality(kijun_sectors()) > 0)
$$;
