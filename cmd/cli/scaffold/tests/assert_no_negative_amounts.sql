-- A singular test: it fails when this query returns rows.
select * from {{ ref('stg_orders') }} where amount < 0
