-- Day x store: sale lines charged at the list price in effect vs not, and
-- the revenue lost to lines sold under list.
select
    cast(sale_date as varchar) || '|' || store_id                                    as compliance_key,
    sale_date,
    store_id,
    count(*)                                                                          as sale_lines,
    sum(case when unit_price = list_price then 1 else 0 end)                          as compliant_lines,
    sum(case when unit_price < list_price then 1 else 0 end)                          as below_list_lines,
    sum(case when unit_price > list_price then 1 else 0 end)                          as above_list_lines,
    sum(case when unit_price = list_price then 1 else 0 end) * 1.0 / count(*)        as compliance_rate,
    sum(case when unit_price < list_price then (list_price - unit_price) * quantity else 0 end)
                                                                                      as below_list_leakage,
    sum(case when unit_price > list_price then (unit_price - list_price) * quantity else 0 end)
                                                                                      as above_list_overcharge,
    case
        when sum(case when unit_price = list_price then 1 else 0 end) * 1.0 / count(*) >= 0.99 then 'compliant'
        when sum(case when unit_price = list_price then 1 else 0 end) * 1.0 / count(*) >= 0.97 then 'watch'
        else 'breach'
    end                                                                               as compliance_band
from {{ ref('fact_sales') }}
where transaction_type = 'sale'
group by sale_date, store_id
