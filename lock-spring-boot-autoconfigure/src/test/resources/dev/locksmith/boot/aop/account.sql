create table account (id identity primary key, owner varchar(64) not null);
