module scone

go 1.26.8
