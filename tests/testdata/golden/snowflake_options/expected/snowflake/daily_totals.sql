
select cast('2024-01-01' as date) as day, 'eu' as region, 10 as total

